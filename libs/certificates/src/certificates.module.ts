import { Module } from '@nestjs/common';
import { TokensModule } from '@app/tokens';
import { AcmeChallengeController } from './acme-challenge.controller';
import { AcmeIssuer } from './acme-issuer';
import { CertificateOrders } from './certificate-orders';
import { CertificateRenewalScheduler } from './certificate-renewal.scheduler';
import { CertificateOwnership } from './certificate-ownership';
import { CertificatesController } from './certificates.controller';
import { CertificatesService } from './certificates.service';
import { SystemCertificates } from './system-certificates';
import { TlsContextModule } from './tls-context.module';

/** ACME certificates: API, HTTP-01 answers, background orders, renewal, and the SNI cache. */
@Module({
  imports: [TokensModule, TlsContextModule],
  controllers: [CertificatesController, AcmeChallengeController],
  providers: [
    AcmeIssuer,
    CertificateOrders,
    CertificatesService,
    CertificateRenewalScheduler,
    SystemCertificates,
    CertificateOwnership,
  ],
  exports: [CertificatesService, SystemCertificates, TlsContextModule, CertificateOwnership],
})
export class CertificatesModule {}
