import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { MetricsRegistry } from './metrics-registry';

/** The request log's own health: written, dropped (buffer full or Redis failing), buffered, flush time. */
@Injectable()
export class RequestLogMetrics {
  readonly written: Counter;
  readonly dropped: Counter<'reason'>;
  readonly buffered: Gauge;
  readonly flushDuration: Histogram;
  private bufferedNow: () => number = () => 0;

  constructor(metrics: MetricsRegistry) {
    const registers = [metrics.registry];
    this.written = new Counter({
      name: 'proxy_request_log_written_total',
      help: 'Request-log entries written to Redis',
      registers,
    });
    this.dropped = new Counter({
      name: 'proxy_request_log_dropped_total',
      help: 'Request-log entries dropped: buffer_full (Redis slow or down) or write_failed (after retries)',
      labelNames: ['reason'],
      registers,
    });
    const bufferedNow = (): number => this.bufferedNow();
    this.buffered = new Gauge({
      name: 'proxy_request_log_buffered',
      help: 'Request-log entries waiting in memory for the next flush',
      registers,
      collect() {
        this.set(bufferedNow());
      },
    });
    this.flushDuration = new Histogram({
      name: 'proxy_request_log_flush_seconds',
      help: 'Time of one pipelined request-log batch write',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    });
    this.dropped.inc({ reason: 'buffer_full' }, 0);
    this.dropped.inc({ reason: 'write_failed' }, 0);
  }

  /** Where `proxy_request_log_buffered` is read at scrape time (the writer's buffer), rather than set on every request. */
  trackBuffered(count: () => number): void {
    this.bufferedNow = count;
  }
}
