import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { createSecureContext, type SecureContext } from 'node:tls';
import { generate } from 'selfsigned';
import { TLS_CONTEXT_PROVIDER, type TlsContextProvider } from '@app/certificates';
import { AppConfig } from '@app/config';

/**
 * Chooses the TLS context for each handshake: the provider's certificate for the name when it has
 * one, else a self-signed certificate generated at start (for BASE_DOMAIN, *.BASE_DOMAIN and
 * localhost), so HTTPS works before any certificate is issued.
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
    const domain = this.config.baseDomain;
    const pems = await generate([{ name: 'commonName', value: domain }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notAfterDate: new Date(Date.now() + 365 * 24 * 3600 * 1000),
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: domain },
            { type: 2, value: `*.${domain}` },
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
          ],
        },
      ],
    });
    this.fallbackContext = createSecureContext({ key: pems.private, cert: pems.cert });
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
