import { Module } from '@nestjs/common';
import { CertificatesModule } from '@app/certificates';
import { RequestLogModule } from '@app/request-log';
import { TokensModule } from '@app/tokens';
import { ProxyTargetsController } from './proxy-targets.controller';
import { ProxyTargetsRepository } from './proxy-targets.repository';
import { ProxyTargetsService } from './proxy-targets.service';

@Module({
  // CertificatesModule first: its ownership kind registers before ours, so a token delete removes
  // proxy targets before certificates.
  imports: [CertificatesModule, TokensModule, RequestLogModule],
  controllers: [ProxyTargetsController],
  providers: [ProxyTargetsRepository, ProxyTargetsService],
  exports: [ProxyTargetsService],
})
export class ProxyTargetsModule {}
