import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { createSecureContext, SecureContext } from 'node:tls';
import { StorageCrypto } from '@app/crypto';
import { CoalescedRun, ConfigBus } from '@app/redis';
import { CertificatesRepository } from './certificates.repository';

/** The seam the HTTPS listener uses: SNI hostname → context, from memory only. */
export interface TlsContextProvider {
  getSecureContext(servername: string): SecureContext | undefined;
}
export const TLS_CONTEXT_PROVIDER = Symbol('TLS_CONTEXT_PROVIDER');

interface CachedCertificate {
  fingerprint: string;
  domains: string[];
  expiresAt: number;
  context: SecureContext;
}

/**
 * In-memory SecureContexts by exact hostname, filled from Redis at start and rebuilt whenever the
 * ConfigBus reports a new configuration version (a certificate issued, renewed or deleted on any
 * replica). Contexts are only rebuilt for certificates whose fingerprint changed. When several
 * certificates cover a hostname, the one expiring last is served. Existing TLS connections keep the
 * context they were made with.
 */
@Injectable()
export class CertificateContextCache implements TlsContextProvider, OnModuleInit {
  private readonly logger = new Logger(CertificateContextCache.name);
  private byName = new Map<string, CachedCertificate>();
  private byHost = new Map<string, SecureContext>();
  private readonly reload = new CoalescedRun(() => this.load());

  constructor(
    private readonly repository: CertificatesRepository,
    private readonly crypto: StorageCrypto,
    private readonly bus: ConfigBus,
  ) {}

  async onModuleInit(): Promise<void> {
    this.bus.onChange(() => this.refresh());
    await this.refresh().catch((e: Error) => this.logger.error(`could not load certificates: ${e.message}`));
  }

  getSecureContext(servername: string): SecureContext | undefined {
    return this.byHost.get(servername.toLowerCase().replace(/\.$/, ''));
  }

  /** Fingerprint of the certificate served for a hostname (for diagnostics and tests). */
  servedFingerprint(servername: string): string | undefined {
    const context = this.getSecureContext(servername);
    for (const cached of this.byName.values()) if (cached.context === context) return cached.fingerprint;
    return undefined;
  }

  /** Reloads from Redis; concurrent calls coalesce into one more run. */
  refresh(): Promise<void> {
    return this.reload.run();
  }

  private async load(): Promise<void> {
    const next = new Map<string, CachedCertificate>();
    for (const record of await this.repository.list()) {
      if (!record.certificate_pem || !record.private_key_sealed || !record.fingerprint) continue;
      const previous = this.byName.get(record.name);
      if (previous && previous.fingerprint === record.fingerprint) {
        next.set(record.name, previous);
        continue;
      }
      try {
        const key = this.crypto.open(record.private_key_sealed, this.repository.recordKey(record.name));
        const context = createSecureContext({ cert: record.certificate_pem, key });
        next.set(record.name, {
          fingerprint: record.fingerprint,
          domains: record.domains,
          expiresAt: Date.parse(record.expires_at ?? '') || 0,
          context,
        });
      } catch (error) {
        this.logger.error(`certificate ${record.name} cannot be served: ${(error as Error).message}`);
        if (previous) next.set(record.name, previous);
      }
    }
    const byHost = new Map<string, { context: SecureContext; expiresAt: number }>();
    for (const cached of next.values()) {
      for (const domain of cached.domains) {
        const current = byHost.get(domain);
        if (!current || cached.expiresAt > current.expiresAt) byHost.set(domain, cached);
      }
    }
    this.byName = next;
    this.byHost = new Map([...byHost].map(([host, entry]) => [host, entry.context]));
  }
}
