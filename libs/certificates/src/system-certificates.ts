import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { StorageCrypto } from '@app/crypto';
import { ClusterSingleton } from '@app/workflow';
import { CertificateRecord } from './certificate.record';
import { CertificateOrders } from './certificate-orders';
import { CertificatesRepository } from './certificates.repository';

/** Owner of the certificates the server orders for its own hostnames: not a token name (tokens match [A-Za-z0-9]...). */
export const SYSTEM_OWNER = '@system';
const ENSURE_LOCK_TTL_MS = 30_000;
const MAX_RETRY_MS = 24 * 3600 * 1000;

export function isSystemCertificate(record: Pick<CertificateRecord, 'owner'>): boolean {
  return record.owner === SYSTEM_OWNER;
}

/** `system-<hostname with dots as dashes>`: never the `proxy-` name a tenant's target would use. */
export function systemCertificateName(hostname: string): string {
  return `system-${hostname.replace(/\./g, '-')}`;
}

/** `localhost` and `*.localhost` never resolve publicly (RFC 6761): no CA can validate them. */
export function isCertifiableHostname(hostname: string): boolean {
  return hostname !== 'localhost' && !hostname.endsWith('.localhost') && hostname.includes('.');
}

export interface SystemHostname {
  /** The setting that names the hostname (AUTH_HOSTNAME, ADMIN_HOSTNAME). */
  role: 'AUTH_HOSTNAME' | 'ADMIN_HOSTNAME';
  hostname: string;
  cert_name: string;
}

/** What /health and mcp-echo-setup report about one system hostname. */
export interface SystemCertificateState extends SystemHostname {
  status: CertificateRecord['status'] | 'missing' | 'disabled';
  valid: boolean;
  expires_at: string | null;
  error: string | null;
}

/**
 * Certificates for the product's own hostnames (AUTH_HOSTNAME, and ADMIN_HOSTNAME when set), ordered
 * by the server itself when AUTO_CERTIFICATES is on: a tenant may not create a target for these
 * names, and the OAuth endpoints are useless behind the self-signed fallback. One replica at a time
 * (the `system-certificates` cluster singleton) creates the missing records, atomically (the
 * repository's create is NX), and publishes the order on the workflow bus like any other
 * certificate; renewal is the renewal scheduler's, which also calls `ensure()` on every sweep, so a
 * failed first order is retried with the renewal backoff (nobody else would press "renew").
 */
@Injectable()
export class SystemCertificates implements OnApplicationBootstrap {
  private readonly logger = new Logger(SystemCertificates.name);

  constructor(
    private readonly repository: CertificatesRepository,
    private readonly orders: CertificateOrders,
    private readonly crypto: StorageCrypto,
    private readonly config: AppConfig,
    private readonly singleton: ClusterSingleton,
  ) {}

  /** The hostnames the server certifies itself; empty with AUTO_CERTIFICATES=false or only localhost names. */
  get hostnames(): SystemHostname[] {
    if (!this.config.autoCertificates) return [];
    const wanted: SystemHostname[] = [];
    const add = (role: SystemHostname['role'], hostname: string | undefined) => {
      if (!hostname || !isCertifiableHostname(hostname) || wanted.some((w) => w.hostname === hostname)) return;
      wanted.push({ role, hostname, cert_name: systemCertificateName(hostname) });
    };
    add('AUTH_HOSTNAME', this.config.authHostname);
    add('ADMIN_HOSTNAME', this.config.adminHostname);
    return wanted;
  }

  /** Why no system certificate can be ordered although one is wanted; null when they can. */
  get blockedBy(): string | null {
    if (this.hostnames.length > 0 && !this.crypto.configured) {
      return "STORAGE_ENCRYPTION_KEY is not set: the certificates of the server's own hostnames cannot be stored; set it (openssl rand -base64 32) or AUTO_CERTIFICATES=false";
    }
    return null;
  }

  onApplicationBootstrap(): void {
    const wanted = this.hostnames;
    if (wanted.length === 0) return;
    const blocked = this.blockedBy;
    if (blocked) {
      this.logger.error(blocked);
      return;
    }
    this.logger.log(
      `ordering certificates for the server's own hostnames when missing: ${wanted.map((w) => w.hostname).join(', ')}`,
    );
    void this.ensure().catch((error: Error) =>
      this.logger.error(`could not check the system certificates: ${error.message}`),
    );
  }

  /** Creates and orders missing system certificates; re-orders failed first issuances after their backoff. Returns how many orders it requested. */
  async ensure(now = new Date()): Promise<number> {
    const wanted = this.hostnames;
    if (wanted.length === 0 || this.blockedBy) return 0;
    let requested = 0;
    await this.singleton.runExclusive('system-certificates', ENSURE_LOCK_TTL_MS, async (signal) => {
      for (const { hostname, cert_name } of wanted) {
        if (signal.aborted) break;
        const existing = await this.repository.find(cert_name);
        if (!existing) {
          const record = this.newRecord(cert_name, hostname, now);
          if (await this.repository.create(record)) {
            this.logger.log(`ordering the system certificate ${cert_name} for ${hostname}`);
            await this.orders.request(record, 'system');
            requested++;
          }
        } else if (
          existing.status === 'failed' &&
          this.retryDue(existing, now) &&
          !(await this.orders.isRunning(cert_name))
        ) {
          const retry: CertificateRecord = {
            ...existing,
            status: 'pending',
            renewal_failures: existing.renewal_failures + 1,
            updated_at: now.toISOString(),
          };
          if (await this.repository.update(retry)) {
            this.logger.log(`retrying the system certificate ${cert_name} (failed: ${existing.error ?? 'unknown'})`);
            await this.orders.request(retry, 'system-retry');
            requested++;
          }
        }
      }
    });
    return requested;
  }

  /** The state of each system hostname's certificate (for /health and the CLI). */
  async states(now = new Date()): Promise<SystemCertificateState[]> {
    const states: SystemCertificateState[] = [];
    for (const host of this.hostnames) {
      const record = await this.repository.find(host.cert_name);
      const valid = Boolean(
        record?.certificate_pem && record.expires_at && Date.parse(record.expires_at) > now.getTime(),
      );
      states.push({
        ...host,
        status: record?.status ?? 'missing',
        valid,
        expires_at: record?.expires_at ?? null,
        error: record?.error ?? (record ? null : this.blockedBy),
      });
    }
    return states;
  }

  private newRecord(name: string, hostname: string, now: Date): CertificateRecord {
    return {
      name,
      owner: SYSTEM_OWNER,
      domains: [hostname],
      email: this.config.adminEmail,
      acme_directory_url: this.config.acme.productionUrl,
      status: 'pending',
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
      renewal_failures: 0,
    };
  }

  /** A failed first order is retried after RENEWAL_RETRY_SECONDS, doubling per failure, at most a day. */
  private retryDue(record: CertificateRecord, now: Date): boolean {
    const failedAt = Date.parse(record.error_at ?? record.updated_at);
    const delay = Math.min(this.config.renewal.retryMs * 2 ** record.renewal_failures, MAX_RETRY_MS);
    return now.getTime() >= failedAt + delay;
  }
}
