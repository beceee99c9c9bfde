import { Module } from '@nestjs/common';
import { TokensModule } from '@app/tokens';
import { ProxyTargetsController } from './proxy-targets.controller';
import { ProxyTargetsRepository } from './proxy-targets.repository';
import { ProxyTargetsService } from './proxy-targets.service';

@Module({
  imports: [TokensModule],
  controllers: [ProxyTargetsController],
  providers: [ProxyTargetsRepository, ProxyTargetsService],
  exports: [ProxyTargetsService],
})
export class ProxyTargetsModule {}
