import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { LogClock } from './clock';
import { RequestLogStore } from './request-log.store';

const SWEEP_MS = 60_000;

/**
 * Exact age-based retention. Every write already trims the stream approximately (MINID ~) and
 * index keys expire on their own (hour bucket end + retention); this sweep, once a minute on each
 * replica (idempotent, cheap), removes the rest exactly: stream entries and index members older
 * than LOG_RETENTION_HOURS.
 */
@Injectable()
export class RequestLogRetention implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RequestLogRetention.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly store: RequestLogStore,
    private readonly config: AppConfig,
    private readonly clock: LogClock,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.sweep().catch((e: Error) => this.logger.warn(`request-log retention sweep failed: ${e.message}`));
    }, SWEEP_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  sweep(): Promise<{ entries: number; index_keys: number }> {
    return this.store.sweep(this.clock.now() - this.config.logRetentionMs);
  }
}
