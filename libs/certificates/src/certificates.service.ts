import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { StorageCrypto } from '@app/crypto';
import { Conflict, Forbidden, Invalid, NotFound } from '@app/http';
import { AuthContext, TokenEmails } from '@app/tokens';
import { isStagingDirectory, resolveDirectoryUrl } from './acme-directory';
import { CertificateRecord } from './certificate.record';
import { checkCertificateName, defaultCertificateName, normalizeDomain, normalizeDomains } from './certificate-names';
import { CertificateOrders } from './certificate-orders';
import { CertificatesRepository } from './certificates.repository';
import { isSystemCertificate } from './system-certificates';
import {
  CertificateDeletedDto,
  CertificateDetailDto,
  CertificateDto,
  CertificateStatusDto,
  CreateCertificateDto,
  CreateMultiDomainCertificateDto,
} from './dto/certificate.dto';

/** What the proxy module passes when a target with HTTPS asks for its certificate. */
export interface EnsureCertificateOptions {
  email?: string;
  acme_directory_url?: string;
}

export interface CertificateForHostname {
  cert_name: string;
  status: CertificateRecord['status'];
}

const DAY_MS = 24 * 3600 * 1000;

@Injectable()
export class CertificatesService {
  constructor(
    private readonly repository: CertificatesRepository,
    private readonly orders: CertificateOrders,
    private readonly tokens: TokenEmails,
    private readonly crypto: StorageCrypto,
    private readonly config: AppConfig,
  ) {}

  createSingle(auth: AuthContext, input: CreateCertificateDto): Promise<CertificateDto> {
    const domain = normalizeDomain(input.domain);
    auth.assertMayClaim(this.config.reservedHostnames, [domain]);
    const name = checkCertificateName(input.cert_name ?? defaultCertificateName(domain));
    return this.create(auth.tokenName, name, [domain], input.email, input.acme_directory_url);
  }

  createMultiDomain(auth: AuthContext, input: CreateMultiDomainCertificateDto): Promise<CertificateDto> {
    const name = checkCertificateName(input.cert_name);
    const domains = normalizeDomains(input.domains);
    auth.assertMayClaim(this.config.reservedHostnames, domains);
    return this.create(auth.tokenName, name, domains, input.email, input.acme_directory_url);
  }

  async list(auth: AuthContext): Promise<CertificateDto[]> {
    return (await this.repository.list()).filter((r) => auth.canAccess(r.owner)).map(toDto);
  }

  async show(auth: AuthContext, name: string, includePrivateKey = false): Promise<CertificateDetailDto> {
    const record = await this.require(auth, name);
    const detail: CertificateDetailDto = { ...toDto(record), certificate_pem: record.certificate_pem ?? null };
    if (includePrivateKey) {
      if (!auth.isAdmin) throw Forbidden('include_private_key=true needs the admin token');
      detail.private_key_pem = record.private_key_sealed
        ? this.crypto.open(record.private_key_sealed, this.repository.recordKey(name))
        : null;
    }
    return detail;
  }

  /** The certificate's status; with `waitSeconds`, waits for a running order to finish first. */
  async status(auth: AuthContext, name: string, waitSeconds = 0): Promise<CertificateStatusDto> {
    let record = await this.require(auth, name);
    const deadline = Date.now() + waitSeconds * 1000;
    // The order writes its outcome, then releases its lock: a waiting caller waits for both, so the
    // answer never says "failed" (or "active") while order_running is still true.
    let running = await this.orders.isRunning(name);
    const settled = () => record.status !== 'pending' && record.status !== 'renewing' && !running;
    while (waitSeconds > 0 && !settled() && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      const latest = await this.repository.find(name);
      if (!latest) throw NotFound(`certificate "${name}"`);
      record = latest;
      running = await this.orders.isRunning(name);
    }
    return {
      cert_name: record.name,
      status: record.status,
      error: record.error ?? null,
      expires_at: record.expires_at ?? null,
      fingerprint: record.fingerprint ?? null,
      updated_at: record.updated_at,
      order_running: running,
    };
  }

  /** Orders a new certificate now; refused when not within the renewal threshold unless forced. */
  async renew(auth: AuthContext, name: string, force = false): Promise<CertificateDto> {
    const record = await this.require(auth, name);
    auth.assertMayClaim(this.config.reservedHostnames, record.domains);
    if (record.status === 'active' && !force && record.expires_at) {
      const daysLeft = Math.floor((Date.parse(record.expires_at) - Date.now()) / DAY_MS);
      if (daysLeft > this.config.renewal.thresholdDays) {
        throw Conflict(
          `certificate "${name}" has ${daysLeft} days left and is renewed automatically within ${this.config.renewal.thresholdDays} days of expiry; pass force=true to renew now`,
        );
      }
    }
    return this.startOrder(name, (current) => current);
  }

  /** Re-issues a staging certificate from the production directory; the staging one serves meanwhile. */
  async convertToProduction(auth: AuthContext, name: string): Promise<CertificateDto> {
    const record = await this.require(auth, name);
    auth.assertMayClaim(this.config.reservedHostnames, record.domains);
    if (!isStagingDirectory(record.acme_directory_url, this.config.acme)) {
      throw Conflict(
        `certificate "${name}" is not from a staging directory (${record.acme_directory_url}); nothing to convert`,
      );
    }
    return this.startOrder(name, (current) => ({ ...current, acme_directory_url: this.config.acme.productionUrl }));
  }

  async delete(auth: AuthContext, name: string): Promise<CertificateDeletedDto> {
    const record = await this.repository.find(name);
    if (record && isSystemCertificate(record)) {
      throw Conflict(
        `certificate "${name}" is a system certificate: the server orders it for its own hostname ${record.domains.join(', ')} (AUTH_HOSTNAME/ADMIN_HOSTNAME) and would order it again; it cannot be deleted (the admin may renew it with POST /api/v1/certificates/${name}/renew?force=true)`,
      );
    }
    await this.require(auth, name);
    await this.repository.delete(name);
    return { cert_name: name, deleted: true };
  }

  /**
   * For the proxy module: the certificate a target with HTTPS uses. Reuses the default-named
   * certificate (`proxy-<host>`) when it exists and covers the hostname, else orders one.
   */
  async ensureForHostname(
    owner: string,
    hostname: string,
    options: EnsureCertificateOptions = {},
  ): Promise<CertificateForHostname> {
    const domain = normalizeDomain(hostname);
    const name = defaultCertificateName(domain);
    const existing = await this.repository.find(name);
    if (existing) {
      if (!existing.domains.includes(domain))
        throw Conflict(`certificate "${name}" exists but does not cover ${domain}`);
      return { cert_name: name, status: existing.status };
    }
    const created = await this.create(owner, name, [domain], options.email, options.acme_directory_url);
    return { cert_name: created.cert_name, status: created.status };
  }

  /** For the proxy module (lifecycle state): the certificates of these names that exist. */
  async findMany(
    names: string[],
  ): Promise<Map<string, CertificateForHostname & { error: string | null; has_certificate: boolean }>> {
    const wanted = new Set(names);
    const found = new Map<string, CertificateForHostname & { error: string | null; has_certificate: boolean }>();
    if (wanted.size === 0) return found;
    for (const record of await this.repository.list()) {
      if (wanted.has(record.name))
        found.set(record.name, {
          cert_name: record.name,
          status: record.status,
          error: record.error ?? null,
          has_certificate: Boolean(record.certificate_pem),
        });
    }
    return found;
  }

  /** For the proxy module: checks that `auth` may use certificate `name` for `hostname` (attach). */
  async checkAttachable(auth: AuthContext, name: string, hostname: string): Promise<CertificateForHostname> {
    const record = await this.require(auth, name);
    const domain = normalizeDomain(hostname);
    if (!record.domains.includes(domain))
      throw Invalid(`certificate "${name}" does not cover ${domain}; it covers ${record.domains.join(', ')}`);
    return { cert_name: name, status: record.status };
  }

  /** For the proxy module (delete with delete_certificate=true): deletes the default-named certificate of a hostname. */
  async deleteForHostname(owner: string, hostname: string): Promise<boolean> {
    const name = defaultCertificateName(normalizeDomain(hostname));
    const existing = await this.repository.find(name);
    if (!existing || existing.owner !== owner) return false;
    return this.repository.delete(name);
  }

  private async create(
    owner: string,
    name: string,
    domains: string[],
    email: string | undefined,
    directory: string | undefined,
  ): Promise<CertificateDto> {
    const directoryUrl = resolveDirectoryUrl(directory, this.config.acme);
    const accountEmail = email ?? (await this.tokens.certificateEmail(owner));
    this.requireStorageKey();
    const now = new Date().toISOString();
    const record: CertificateRecord = {
      name,
      owner,
      domains,
      email: accountEmail,
      acme_directory_url: directoryUrl,
      status: 'pending',
      created_at: now,
      updated_at: now,
      renewal_failures: 0,
    };
    const taken = () =>
      Conflict(`a certificate named "${name}" already exists: choose another cert_name or delete it first`);
    if (await this.repository.find(name)) throw taken();
    if (await this.orders.isRunning(name)) throw Conflict(`an order for certificate "${name}" is already running`);
    if (!(await this.repository.create(record))) throw taken();
    await this.orders.request(record, 'issue');
    return toDto(record);
  }

  /** Moves the record to pending/renewing and publishes the order (run by one replica of the workflow group). */
  private async startOrder(
    name: string,
    change: (record: CertificateRecord) => CertificateRecord,
  ): Promise<CertificateDto> {
    this.requireStorageKey();
    if (await this.orders.isRunning(name))
      throw Conflict(
        `an order for certificate "${name}" is already running; GET /api/v1/certificates/${name}/status?wait=60 to follow it`,
      );
    const current = await this.repository.find(name);
    if (!current) throw NotFound(`certificate "${name}"`);
    const next: CertificateRecord = {
      ...change(current),
      status: current.certificate_pem ? 'renewing' : 'pending',
      updated_at: new Date().toISOString(),
    };
    await this.repository.update(next);
    await this.orders.request(next, current.certificate_pem ? 'renew' : 'issue');
    return toDto(next);
  }

  /** Without the key an order could never store its private key: refuse now, not after the ACME order. */
  private requireStorageKey(): void {
    if (!this.crypto.configured) {
      throw Conflict(
        'certificates need STORAGE_ENCRYPTION_KEY (it seals their private keys): set it to 32 random bytes in base64 (openssl rand -base64 32) and restart',
      );
    }
  }

  private async require(auth: AuthContext, name: string): Promise<CertificateRecord> {
    const record = await this.repository.find(name);
    if (!record) throw NotFound(`certificate "${name}"`);
    auth.assertOwner(record.owner, `certificate "${name}"`);
    return record;
  }
}

export function toDto(record: CertificateRecord): CertificateDto {
  return {
    cert_name: record.name,
    domains: record.domains,
    owner: record.owner,
    system: isSystemCertificate(record),
    email: record.email ?? null,
    acme_directory_url: record.acme_directory_url,
    status: record.status,
    error: record.error ?? null,
    error_at: record.error_at ?? null,
    created_at: record.created_at,
    updated_at: record.updated_at,
    issued_at: record.issued_at ?? null,
    expires_at: record.expires_at ?? null,
    fingerprint: record.fingerprint ?? null,
    issuer: record.issuer ?? null,
    serial_number: record.serial_number ?? null,
    renewal_failures: record.renewal_failures,
    next_renewal_attempt_at: record.next_renewal_attempt_at ?? null,
  };
}
