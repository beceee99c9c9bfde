import { Module } from '@nestjs/common';
import { CertificatesModule } from '@app/certificates';
import { TokensModule } from '@app/tokens';
import { ProxyTargetOwnership } from './proxy-target-ownership';
import { ProxyTargetRateLimitsController } from './proxy-target-rate-limits.controller';
import { ProxyTargetsController } from './proxy-targets.controller';
import { ProxyTargetsRepository } from './proxy-targets.repository';
import { ProxyTargetsService } from './proxy-targets.service';

@Module({
  imports: [CertificatesModule, TokensModule],
  controllers: [ProxyTargetsController, ProxyTargetRateLimitsController],
  providers: [ProxyTargetsRepository, ProxyTargetsService, ProxyTargetOwnership],
  exports: [ProxyTargetsService, ProxyTargetOwnership],
})
export class ProxyTargetsModule {}
