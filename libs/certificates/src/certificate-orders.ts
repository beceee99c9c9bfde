import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { HeldLock, RedisLocks } from '@app/redis';
import { StorageCrypto } from '@app/crypto';
import { EventBus, RetryLater, WorkflowEvent } from '@app/workflow';
import { AcmeIssuer } from './acme-issuer';
import { CertificateRecord } from './certificate.record';
import { CertificatesRepository } from './certificates.repository';

const MAX_RETRY_MS = 24 * 3600 * 1000;
/** Workflow event: run the ACME order of a certificate whose record is pending or renewing. */
export const ORDER_REQUESTED = 'certificate.order_requested';
/** Workflow events published when an order finished (lifecycle observers). */
export const CERTIFICATE_ISSUED = 'certificate.issued';
export const CERTIFICATE_FAILED = 'certificate.failed';
export const CERTIFICATES_GROUP = 'certificates';

/**
 * ACME orders as workflow events. An order is requested by writing the record (pending/renewing)
 * and publishing `certificate.order_requested` (dedupe key: name + record update time, so a request
 * republished by the renewal sweep is not a second order). The `certificates` consumer group runs
 * it on one replica; a replica that dies mid-order stops heartbeating and another takes the event
 * over. The handler is idempotent: it only orders while the record is still pending/renewing, and
 * only under the certificate's lock (`lock:certificate:<name>`, TTL = WORKFLOW_CLAIM_TIMEOUT_MS,
 * extended while running, released by compare-and-delete), so two deliveries never order twice.
 */
@Injectable()
export class CertificateOrders implements OnModuleInit {
  private readonly logger = new Logger(CertificateOrders.name);
  private readonly running = new Set<Promise<void>>();
  private readonly lockTtlMs: number;

  constructor(
    private readonly repository: CertificatesRepository,
    private readonly locks: RedisLocks,
    private readonly issuer: AcmeIssuer,
    private readonly crypto: StorageCrypto,
    private readonly config: AppConfig,
    private readonly bus: EventBus,
  ) {
    this.lockTtlMs = config.workflow.claimTimeoutMs;
  }

  onModuleInit(): void {
    this.bus.subscribe({ group: CERTIFICATES_GROUP, types: [ORDER_REQUESTED], handle: (event) => this.handle(event) });
  }

  lock(name: string): Promise<HeldLock | null> {
    return this.locks.tryAcquire(this.repository.lockKey(name), this.lockTtlMs);
  }

  async release(lock: HeldLock): Promise<void> {
    await this.locks.release(lock);
  }

  isRunning(name: string): Promise<boolean> {
    return this.locks.isHeld(this.repository.lockKey(name));
  }

  /** Asks the cluster to run the order of a record just written as pending/renewing. */
  async request(record: CertificateRecord, reason: string): Promise<void> {
    await this.bus.publish(
      ORDER_REQUESTED,
      { cert_name: record.name, reason },
      { dedupeKey: `certificate-order:${record.name}:${record.updated_at}` },
    );
  }

  /** Waits for orders this process started (used on shutdown). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  private async handle(event: WorkflowEvent): Promise<void> {
    const name = String(event.payload.cert_name ?? '');
    const record = await this.repository.find(name);
    if (!record || (record.status !== 'pending' && record.status !== 'renewing')) return; // done already, or deleted
    const lock = await this.lock(name);
    if (!lock) throw new RetryLater(`an order for certificate "${name}" is running on another replica`);
    await this.run(name, lock);
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
      this.locks
        .extend(lock, this.lockTtlMs)
        .catch((e: Error) => this.logger.warn(`could not extend the lock of ${name}: ${e.message}`));
    }, this.lockTtlMs / 3);
    try {
      const record = await this.repository.find(name);
      if (!record || (record.status !== 'pending' && record.status !== 'renewing')) return;
      let next: CertificateRecord;
      try {
        const issued = await this.issuer.order({
          directoryUrl: record.acme_directory_url,
          email: record.email,
          domains: record.domains,
        });
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
      if (next.status === 'failed' || next.error) {
        await this.bus.publish(CERTIFICATE_FAILED, {
          cert_name: name,
          domains: record.domains,
          error: next.error,
          renewal: Boolean(record.certificate_pem),
        });
      } else {
        await this.bus.publish(CERTIFICATE_ISSUED, {
          cert_name: name,
          domains: record.domains,
          expires_at: next.expires_at,
          fingerprint: next.fingerprint,
        });
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
    if (!record.certificate_pem)
      return { ...record, status: 'failed', error: reason, error_at: now.toISOString(), updated_at: now.toISOString() };
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
  if (code && /^E[A-Z_]+$/.test(code) && directoryUrl)
    message = `could not reach the ACME server at ${directoryUrl}: ${message}`;
  return message;
}
