import { Module } from '@nestjs/common';
import { CertificatesRepository } from './certificates.repository';
import { CertificateContextCache, TLS_CONTEXT_PROVIDER } from './tls-context.provider';

/**
 * The SNI certificate cache on its own, for the HTTPS listener (needs ConfigModule, RedisModule and
 * CryptoModule, all global, from the importing application).
 */
@Module({
  providers: [
    CertificatesRepository,
    CertificateContextCache,
    { provide: TLS_CONTEXT_PROVIDER, useExisting: CertificateContextCache },
  ],
  exports: [CertificatesRepository, CertificateContextCache, TLS_CONTEXT_PROVIDER],
})
export class TlsContextModule {}
