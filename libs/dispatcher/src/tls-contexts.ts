import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { createSecureContext, type SecureContext } from 'node:tls';
import { TLS_CONTEXT_PROVIDER, type TlsContextProvider } from '@app/certificates';
import { AppConfig } from '@app/config';
import { generateFallbackCertificate } from './fallback-certificate';

/**
 * Chooses the TLS context for each handshake: the provider's certificate for the name when it has
 * one, else the fallback: TLS_FALLBACK_PEM_B64 when set (the cluster primary sets it for its
 * workers), otherwise a self-signed certificate generated at start (for BASE_DOMAIN, *.BASE_DOMAIN
 * and localhost), so HTTPS works before any certificate is issued.
 */
@Injectable()
export class TlsContexts {
  private readonly logger = new Logger(TlsContexts.name);
  private fallbackContext?: SecureContext;

  constructor(
    private readonly config: AppConfig,
    @Optional() @Inject(TLS_CONTEXT_PROVIDER) private readonly provider?: TlsContextProvider,
  ) {}

  async init(): Promise<void> {
    if (this.fallbackContext) return;
    const configured = this.config.tlsFallback;
    if (configured) {
      this.fallbackContext = createSecureContext(configured);
      return;
    }
    const domain = this.config.baseDomain;
    this.fallbackContext = createSecureContext(await generateFallbackCertificate(domain));
    this.logger.log(`self-signed fallback certificate generated for ${domain}, *.${domain}, localhost`);
  }

  get fallback(): SecureContext {
    if (!this.fallbackContext) throw new Error('TlsContexts.init() has not run');
    return this.fallbackContext;
  }

  contextFor(servername: string): SecureContext {
    return this.provider?.getSecureContext(servername.toLowerCase()) ?? this.fallback;
  }
}
