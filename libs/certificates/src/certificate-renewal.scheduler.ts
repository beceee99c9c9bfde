import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AppConfig } from '@app/config';
import { CertificateRecord } from './certificate.record';
import { CertificateOrders } from './certificate-orders';
import { CertificatesRepository } from './certificates.repository';

const INTERVAL_NAME = 'certificate-renewal';
const DAY_MS = 24 * 3600 * 1000;

/**
 * Every RENEWAL_CHECK_SECONDS: renews certificates within RENEWAL_THRESHOLD_DAYS of expiry (after
 * the backoff of a failed attempt) and resumes orders left pending by a replica that died. Each
 * certificate's order lock makes exactly one replica do each; the others skip it.
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

  /** One pass over all certificates; returns how many orders this replica ran. */
  async sweep(now = new Date()): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    let ran = 0;
    try {
      for (const candidate of await this.repository.list()) {
        if (this.stopping) break;
        if (!this.needsOrder(candidate, now) || (await this.orders.isRunning(candidate.name))) continue;
        const lock = await this.orders.lock(candidate.name);
        if (!lock) continue;
        // Re-read under the lock: another replica may have renewed it a moment ago.
        const record = await this.repository.find(candidate.name);
        if (!record || !this.needsOrder(record, now)) {
          await this.orders.release(lock);
          continue;
        }
        if (record.status === 'active') {
          this.logger.log(`renewing certificate ${record.name} (expires ${record.expires_at})`);
          await this.repository.update({ ...record, status: 'renewing', updated_at: new Date().toISOString() });
        }
        await this.orders.run(record.name, lock);
        ran++;
      }
    } catch (error) {
      this.logger.error(`renewal sweep failed: ${(error as Error).message}`);
    } finally {
      this.sweeping = false;
    }
    return ran;
  }

  /** Due for renewal, or an order whose replica is gone (pending/renewing with no lock held). */
  private needsOrder(record: CertificateRecord, now: Date): boolean {
    switch (record.status) {
      case 'pending':
      case 'renewing':
        return true; // only reached when no lock is held: the replica running it died
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
