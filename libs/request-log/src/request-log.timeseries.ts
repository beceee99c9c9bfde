import { percentile } from './log-filter';
import { isServerError, StoredLogEntry } from './request-log-entry';

/** The windows the time series offers, and their buckets: one hour by the minute, one day by the quarter hour. */
export const TIMESERIES_WINDOWS = {
  '1h': { bucketMs: 60_000, buckets: 60 },
  '24h': { bucketMs: 15 * 60_000, buckets: 96 },
} as const;
export type TimeseriesWindow = keyof typeof TIMESERIES_WINDOWS;

/** Hosts with their own series: the busiest ones. */
export const TIMESERIES_TOP_HOSTS = 10;

export interface TimeBucket {
  /** Start of the bucket, ISO 8601. */
  start: string;
  requests: number;
  /** Answered 5xx or failed by the proxy (as the stats' error rate). */
  errors: number;
  requests_per_s: number;
  /** errors / requests (0-1); 0 for an empty bucket. */
  error_rate: number;
  /** Nearest-rank 95th percentile of duration_ms; null for an empty bucket. */
  p95_ms: number | null;
}

export interface TimeSeries {
  requests: number;
  errors: number;
  p95_ms: number | null;
  buckets: TimeBucket[];
}

/**
 * Counts entries into fixed time buckets, overall and per host, then keeps the busiest hosts. Holds
 * one duration per entry (a query examines at most MAX_SCAN entries): exact percentiles per bucket.
 */
export class TimeseriesBuilder {
  private readonly overall: number[][];
  private readonly overallErrors: number[];
  private readonly hosts = new Map<string, { durations: number[][]; errors: number[] }>();

  constructor(
    /** Start of the first bucket (ms). */
    readonly startMs: number,
    readonly bucketMs: number,
    readonly count: number,
  ) {
    this.overall = Array.from({ length: count }, () => []);
    this.overallErrors = new Array<number>(count).fill(0);
  }

  add(entry: StoredLogEntry): void {
    const index = Math.floor((entry.ts - this.startMs) / this.bucketMs);
    if (index < 0 || index >= this.count) return;
    const failed = isServerError(entry) ? 1 : 0;
    this.overall[index].push(entry.duration_ms);
    this.overallErrors[index] += failed;
    let host = this.hosts.get(entry.host);
    if (!host) {
      host = { durations: Array.from({ length: this.count }, () => []), errors: new Array<number>(this.count).fill(0) };
      this.hosts.set(entry.host, host);
    }
    host.durations[index].push(entry.duration_ms);
    host.errors[index] += failed;
  }

  result(): { overall: TimeSeries; hosts: (TimeSeries & { hostname: string })[] } {
    const hosts = [...this.hosts.entries()]
      .map(([hostname, h]) => ({ hostname, ...this.series(h.durations, h.errors) }))
      .sort((a, b) => b.requests - a.requests || a.hostname.localeCompare(b.hostname))
      .slice(0, TIMESERIES_TOP_HOSTS);
    return { overall: this.series(this.overall, this.overallErrors), hosts };
  }

  private series(durations: number[][], errors: number[]): TimeSeries {
    const seconds = this.bucketMs / 1000;
    const buckets = durations.map((list, i): TimeBucket => {
      const sorted = [...list].sort((a, b) => a - b);
      return {
        start: new Date(this.startMs + i * this.bucketMs).toISOString(),
        requests: list.length,
        errors: errors[i],
        requests_per_s: round(list.length / seconds),
        error_rate: list.length ? round(errors[i] / list.length) : 0,
        p95_ms: percentile(sorted, 95),
      };
    });
    const all = durations.flat().sort((a, b) => a - b);
    return {
      requests: all.length,
      errors: errors.reduce((a, b) => a + b, 0),
      p95_ms: percentile(all, 95),
      buckets,
    };
  }
}

const round = (n: number) => Math.round(n * 10_000) / 10_000;
