import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { HeldLock, RedisLocks } from '@app/redis';
import { StorageCrypto } from '@app/crypto';
import { AcmeIssuer } from './acme-issuer';
import { CertificateRecord } from './certificate.record';
import { CertificatesRepository } from './certificates.repository';

/** An order lock lives this long unless its holder keeps extending it (a dead replica's expires). */
export const ORDER_LOCK_TTL_MS = 60_000;
const MAX_RETRY_MS = 24 * 3600 * 1000;

/**
 * Runs ACME orders in the background, one per certificate at a time across all replicas: the caller
 * takes the certificate's lock (`lock:certificate:<name>`, TTL + owner token) and hands it over; the
 * order keeps extending it while it runs and releases it by compare-and-delete at the end.
 */
@Injectable()
export class CertificateOrders {
  private readonly logger = new Logger(CertificateOrders.name);
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly repository: CertificatesRepository,
    private readonly locks: RedisLocks,
    private readonly issuer: AcmeIssuer,
    private readonly crypto: StorageCrypto,
    private readonly config: AppConfig,
  ) {}

  lock(name: string): Promise<HeldLock | null> {
    return this.locks.tryAcquire(this.repository.lockKey(name), ORDER_LOCK_TTL_MS);
  }

  async release(lock: HeldLock): Promise<void> {
    await this.locks.release(lock);
  }

  isRunning(name: string): Promise<boolean> {
    return this.locks.isHeld(this.repository.lockKey(name));
  }

  /** Starts the order without waiting for it (the HTTP request returns at once). */
  startInBackground(name: string, lock: HeldLock): void {
    void this.run(name, lock);
  }

  /** Waits for orders this process started (used on shutdown and by the scheduler). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  /**
   * Orders the certificate described by the record (status pending: first issuance; renewing: a
   * new one replacing the served one), stores the result or the failure, and releases the lock.
   */
  run(name: string, lock: HeldLock): Promise<void> {
    const run = this.order(name, lock).finally(() => this.running.delete(run));
    this.running.add(run);
    return run;
  }

  private async order(name: string, lock: HeldLock): Promise<void> {
    const heartbeat = setInterval(() => {
      this.locks.extend(lock, ORDER_LOCK_TTL_MS).catch((e: Error) => this.logger.warn(`could not extend the lock of ${name}: ${e.message}`));
    }, ORDER_LOCK_TTL_MS / 3);
    try {
      const record = await this.repository.find(name);
      if (!record || (record.status !== 'pending' && record.status !== 'renewing')) return;
      let next: CertificateRecord;
      try {
        const issued = await this.issuer.order({ directoryUrl: record.acme_directory_url, email: record.email, domains: record.domains });
        const now = new Date().toISOString();
        next = {
          ...record,
          status: 'active',
          updated_at: now,
          error: undefined,
          error_at: undefined,
          renewal_failures: 0,
          next_renewal_attempt_at: undefined,
          issued_at: issued.issuedAt,
          expires_at: issued.expiresAt,
          fingerprint: issued.fingerprint,
          issuer: issued.issuer,
          serial_number: issued.serialNumber,
          certificate_pem: issued.certificatePem,
          private_key_sealed: this.crypto.seal(issued.privateKeyPem, this.repository.recordKey(name)),
        };
        this.logger.log(`certificate ${name} issued for ${record.domains.join(', ')}, expires ${issued.expiresAt}`);
        await this.repository.update(next, true);
      } catch (error) {
        next = this.failed(record, describeError(error, record.acme_directory_url));
        this.logger.warn(`certificate ${name} order failed: ${next.error}`);
        await this.repository.update(next);
      }
    } catch (error) {
      this.logger.error(`certificate ${name} order could not be recorded: ${describeError(error)}`);
    } finally {
      clearInterval(heartbeat);
      await this.locks.release(lock).catch(() => undefined);
    }
  }

  /** A failed order: a first issuance becomes `failed`; a renewal keeps serving the old certificate and retries later. */
  private failed(record: CertificateRecord, reason: string): CertificateRecord {
    const now = new Date();
    if (!record.certificate_pem) return { ...record, status: 'failed', error: reason, error_at: now.toISOString(), updated_at: now.toISOString() };
    const failures = record.renewal_failures + 1;
    const delay = Math.min(this.config.renewal.retryMs * 2 ** (failures - 1), MAX_RETRY_MS);
    return {
      ...record,
      status: 'active',
      error: reason,
      error_at: now.toISOString(),
      updated_at: now.toISOString(),
      renewal_failures: failures,
      next_renewal_attempt_at: new Date(now.getTime() + delay).toISOString(),
    };
  }
}

/** A short reason a person can act on, from acme-client, axios or the network. */
export function describeError(error: unknown, directoryUrl?: string): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as Error & { code?: string }).code;
  let message = error.message || code || error.name;
  if (code && !message.includes(code)) message = `${message} (${code})`;
  // Network-level failures (no ACME answer at all) name the server that could not be reached.
  if (code && /^E[A-Z_]+$/.test(code) && directoryUrl) message = `could not reach the ACME server at ${directoryUrl}: ${message}`;
  return message;
}
