import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { ClusterSingleton } from '@app/workflow';
import { LogClock } from './clock';
import { RequestLogStore } from './request-log.store';

const SWEEP_MS = 60_000;
const LOCK_TTL_MS = 30_000;

/**
 * Exact age-based retention. Every write already trims the stream approximately (MINID ~) and
 * index keys expire on their own (hour bucket end + retention); this sweep, once a minute on each
 * replica (idempotent, cheap), removes the rest exactly: stream entries and index members older
 * than LOG_RETENTION_HOURS. The scheduled sweep is a cluster-wide singleton: one replica per
 * minute does it (the others skip while it holds `lock:singleton:request-log-retention`).
 */
@Injectable()
export class RequestLogRetention implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RequestLogRetention.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly store: RequestLogStore,
    private readonly config: AppConfig,
    private readonly clock: LogClock,
    private readonly singleton: ClusterSingleton,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.scheduledSweep().catch((e: Error) => this.logger.warn(`request-log retention sweep failed: ${e.message}`));
    }, SWEEP_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** The timer's sweep: runs only on the replica that takes the singleton lock; false when another holds it. */
  scheduledSweep(): Promise<boolean> {
    return this.singleton.runExclusive('request-log-retention', LOCK_TTL_MS, async () => {
      await this.sweep();
    });
  }

  /** One exact sweep now, on this replica. */
  sweep(): Promise<{ entries: number; index_keys: number }> {
    return this.store.sweep(this.clock.now() - this.config.logRetentionMs);
  }
}
