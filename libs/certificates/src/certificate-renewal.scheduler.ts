import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AppConfig } from '@app/config';
import { CertificateRecord } from './certificate.record';
import { CertificateOrders } from './certificate-orders';
import { CertificatesRepository } from './certificates.repository';
import { ClusterSingleton } from '@app/workflow';
import { SystemCertificates } from './system-certificates';

const INTERVAL_NAME = 'certificate-renewal';
const DAY_MS = 24 * 3600 * 1000;
const SWEEP_LOCK_TTL_MS = 30_000;

/**
 * Every RENEWAL_CHECK_SECONDS, on one replica at a time (the `certificate-renewal` cluster
 * singleton: a lock with TTL and owner token; a replica that loses it stops the pass): certificates
 * within RENEWAL_THRESHOLD_DAYS of expiry (after the backoff of a failed attempt) are marked
 * `renewing` and a `certificate.order_requested` event is published; a pending/renewing record whose
 * event was never published (a replica died between the write and the publish) gets it again (the
 * dedupe key makes that a no-op when the event exists). The `certificates` workflow group runs the orders.
 * Each sweep first lets SystemCertificates create or retry the certificates of the server's own hostnames.
 */
@Injectable()
export class CertificateRenewalScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(CertificateRenewalScheduler.name);
  private sweeping = false;
  private stopping = false;

  constructor(
    private readonly repository: CertificatesRepository,
    private readonly orders: CertificateOrders,
    private readonly config: AppConfig,
    private readonly scheduler: SchedulerRegistry,
    private readonly singleton: ClusterSingleton,
    private readonly system: SystemCertificates,
  ) {}

  onApplicationBootstrap(): void {
    const timer = setInterval(() => void this.sweep(), this.config.renewal.checkMs);
    this.scheduler.addInterval(INTERVAL_NAME, timer);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.scheduler.doesExist('interval', INTERVAL_NAME)) this.scheduler.deleteInterval(INTERVAL_NAME);
    await this.orders.settle();
  }

  /** One pass over all certificates if this replica holds the sweep lock; returns how many orders it requested. */
  async sweep(now = new Date()): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    let requested = 0;
    try {
      requested += await this.system.ensure(now); // the server's own hostnames: created when missing, failed ones retried
      await this.singleton.runExclusive('certificate-renewal', SWEEP_LOCK_TTL_MS, async (signal) => {
        for (const candidate of await this.repository.list()) {
          if (this.stopping || signal.aborted) break;
          if (!this.needsOrder(candidate, now) || (await this.orders.isRunning(candidate.name))) continue;
          if (candidate.status === 'active') {
            this.logger.log(`renewing certificate ${candidate.name} (expires ${candidate.expires_at})`);
            const renewing: CertificateRecord = {
              ...candidate,
              status: 'renewing',
              updated_at: new Date().toISOString(),
            };
            if (!(await this.repository.update(renewing))) continue;
            await this.orders.request(renewing, 'renewal');
          } else {
            await this.orders.request(candidate, 'resume'); // deduplicated unless the original publish was lost
          }
          requested++;
        }
      });
    } catch (error) {
      this.logger.error(`renewal sweep failed: ${(error as Error).message}`);
    } finally {
      this.sweeping = false;
    }
    return requested;
  }

  /** Due for renewal, or an order that is not running (pending/renewing with no lock held). */
  private needsOrder(record: CertificateRecord, now: Date): boolean {
    switch (record.status) {
      case 'pending':
      case 'renewing':
        return true;
      case 'failed':
        return false; // a failed first issuance waits for the user (renew) after fixing the cause
      case 'active': {
        if (!record.expires_at) return false;
        if (record.next_renewal_attempt_at && Date.parse(record.next_renewal_attempt_at) > now.getTime()) return false;
        return Date.parse(record.expires_at) - now.getTime() <= this.config.renewal.thresholdDays * DAY_MS;
      }
    }
  }
}
