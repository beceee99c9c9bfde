import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, type HistogramConfiguration } from 'prom-client';
import { MetricsRegistry } from './metrics-registry';

export type MetricsListener = 'api' | 'http' | 'https' | 'proxy-protocol';

/** Host label for requests that matched no proxy target (keeps label cardinality bounded). */
export const NO_HOST = '-';

export interface ObservedRequest {
  listener: MetricsListener;
  /** The matched proxy target's hostname; `NO_HOST` when none matched or for the admin API. */
  host: string;
  status: number;
  durationMs: number;
}

const DURATION_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** `status_class` label values (what `statusClass()` returns), by the index `statusClassIndex` gives. */
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'other'] as const;

/** `statusClass(status)` as an index into STATUS_CLASSES: no string built per request. */
function statusClassIndex(status: number): number {
  return status >= 100 && status < 600 ? Math.floor(status / 100) - 1 : 5;
}

/** Requests of one (listener, host): counts by status class and the duration histogram's state. */
class RequestSeries {
  readonly byStatusClass = [0, 0, 0, 0, 0, 0];
  /** Observations per bucket (not cumulative), as prom-client keeps them; above the last bound only in `count`. */
  readonly buckets: number[] = DURATION_BUCKETS.map(() => 0);
  sum = 0;
  count = 0;
  constructor(
    readonly listener: MetricsListener,
    readonly host: string,
  ) {}
}

/** One counter or gauge series: its labels (made once, when the series first appears) and value. */
interface Cell {
  labels: Record<string, string>;
  value: number;
}

type HistogramSnapshot = Awaited<ReturnType<Histogram<'listener' | 'host'>['get']>>;

/**
 * `proxy_request_duration_seconds`, rendered at scrape time from the recorder's series with exactly
 * the values prom-client's own Histogram would hold after the same `observe` calls (same bucket rule
 * `value <= bound`, same summation order). prom-client has no public way to set bucket counts, hence
 * the two overridden read methods: `get()` (JSON: what a cluster worker sends the primary to merge)
 * and `getForPromString()` (what `Registry.metrics()` renders). Both give prom-client's label order
 * (`le` first, then `listener`, `host`) and its value objects (`exemplar: null` on buckets), so text
 * and JSON are the same as before.
 */
class SeriesHistogram extends Histogram<'listener' | 'host'> {
  constructor(
    configuration: HistogramConfiguration<'listener' | 'host'>,
    private readonly series: () => readonly RequestSeries[],
  ) {
    super(configuration);
  }

  override get(): Promise<HistogramSnapshot> {
    return Promise.resolve(this.snapshot() as unknown as HistogramSnapshot);
  }

  getForPromString(): Promise<ReturnType<SeriesHistogram['snapshot']>> {
    return Promise.resolve(this.snapshot());
  }

  private snapshot() {
    const self = this as unknown as { name: string; help: string; type: string; aggregator: string };
    const bucketName = `${self.name}_bucket`;
    const values: { labels: Record<string, string | number>; value: number; metricName: string; exemplar?: null }[] =
      [];
    for (const s of this.series()) {
      let cumulative = 0;
      for (let i = 0; i < DURATION_BUCKETS.length; i++) {
        cumulative += s.buckets[i];
        values.push({
          labels: { le: DURATION_BUCKETS[i], listener: s.listener, host: s.host },
          value: cumulative,
          metricName: bucketName,
          exemplar: null,
        });
      }
      values.push({
        labels: { le: '+Inf', listener: s.listener, host: s.host },
        value: s.count,
        metricName: bucketName,
        exemplar: null,
      });
      values.push({ labels: { listener: s.listener, host: s.host }, value: s.sum, metricName: `${self.name}_sum` });
      values.push({ labels: { listener: s.listener, host: s.host }, value: s.count, metricName: `${self.name}_count` });
    }
    return { name: self.name, help: self.help, type: self.type, values, aggregator: self.aggregator };
  }
}

/**
 * Data-path metrics, called by the dispatcher (and by the admin API's request hook for listener
 * `api`). The hot-path methods are plain arithmetic on objects found by one or two Map lookups
 * (host → listener → series): no label object is built, hashed or validated per request.
 * prom-client sees the numbers only at scrape time (the counters' and gauges' `collect()` set them,
 * the duration histogram renders its own), series in the order they first appeared, as prom-client
 * lists them: `/metrics` (and the JSON the cluster primary merges) is what it was when every call
 * went to prom-client (`proxy-metrics.spec.ts` checks that against prom-client itself).
 */
@Injectable()
export class ProxyMetrics {
  /** host → listener → series: the per-request lookups. */
  private readonly byHost = new Map<string, Map<MetricsListener, RequestSeries>>();
  /** The (listener, host) series with at least one duration observed, in order of appearance. */
  private readonly durationSeries: RequestSeries[] = [];
  /** Every (series, status class) counted at least once, in order of appearance: `proxy_requests_total`'s series. */
  private readonly statusSeries: [RequestSeries, number][] = [];
  /** The counter's and the gauges' series by label value(s), in order of appearance (a Map keeps it). */
  private readonly upstreamErrors = new Map<string, Cell>();
  private readonly connections = new Map<string, Cell>();
  private readonly streams = new Map<string, Cell>();
  private readonly websockets = new Map<string, Cell>();

  constructor(metrics: MetricsRegistry) {
    const registers = [metrics.registry];
    const statusSeries = this.statusSeries;
    new Counter({
      name: 'proxy_requests_total',
      help: 'Requests answered, by listener, proxy target host and status class',
      labelNames: ['listener', 'host', 'status_class'],
      registers,
      collect() {
        this.reset();
        for (const [s, index] of statusSeries)
          this.inc({ listener: s.listener, host: s.host, status_class: STATUS_CLASSES[index] }, s.byStatusClass[index]);
      },
    });
    new SeriesHistogram(
      {
        name: 'proxy_request_duration_seconds',
        help: 'Time from request received to response finished',
        labelNames: ['listener', 'host'],
        buckets: [...DURATION_BUCKETS],
        registers,
      },
      () => this.durationSeries,
    );
    new Counter({
      name: 'proxy_upstream_errors_total',
      help: 'Failures reaching or reading from a backend, by kind (connect, timeout, reset, tls, protocol)',
      labelNames: ['host', 'kind'],
      registers,
      collect: collectCells(this.upstreamErrors),
    });
    new Gauge({
      name: 'proxy_active_connections',
      help: 'Open client connections',
      labelNames: ['listener'],
      registers,
      collect: collectCells(this.connections),
    });
    new Gauge({
      name: 'proxy_active_streams',
      help: 'Requests (HTTP/1 exchanges and HTTP/2 streams) in flight',
      labelNames: ['listener'],
      registers,
      collect: collectCells(this.streams),
    });
    new Gauge({
      name: 'proxy_active_websockets',
      help: 'Upgraded WebSocket connections open',
      labelNames: ['host'],
      registers,
      collect: collectCells(this.websockets),
    });
  }

  observeRequest(request: ObservedRequest): void {
    const host = request.host || NO_HOST;
    const listener = request.listener;
    let perHost = this.byHost.get(host);
    if (perHost === undefined) {
      perHost = new Map();
      this.byHost.set(host, perHost);
    }
    let series = perHost.get(listener);
    if (series === undefined) {
      series = new RequestSeries(listener, host);
      perHost.set(listener, series);
    }
    const statusIndex = statusClassIndex(request.status);
    if (series.byStatusClass[statusIndex]++ === 0) this.statusSeries.push([series, statusIndex]);
    const seconds = Math.max(0, request.durationMs) / 1000;
    // As prom-client's observe(): a non-finite duration is refused (after the request was counted).
    if (!Number.isFinite(seconds)) throw new TypeError(`Value is not a valid number: ${seconds}`);
    if (series.count === 0) this.durationSeries.push(series);
    series.sum += seconds;
    series.count += 1;
    const buckets = series.buckets;
    for (let i = 0; i < DURATION_BUCKETS.length; i++) {
      if (seconds <= DURATION_BUCKETS[i]) {
        buckets[i] += 1;
        break;
      }
    }
  }

  upstreamError(host: string, kind: string): void {
    const h = host || NO_HOST;
    const key = `${h}\n${kind}`;
    const cell = this.upstreamErrors.get(key);
    if (cell !== undefined) cell.value += 1;
    else this.upstreamErrors.set(key, { labels: { host: h, kind }, value: 1 });
  }

  connectionOpened(listener: MetricsListener): void {
    add(this.connections, listener, 'listener', 1);
  }
  connectionClosed(listener: MetricsListener): void {
    add(this.connections, listener, 'listener', -1);
  }
  streamStarted(listener: MetricsListener): void {
    add(this.streams, listener, 'listener', 1);
  }
  streamEnded(listener: MetricsListener): void {
    add(this.streams, listener, 'listener', -1);
  }
  webSocketOpened(host: string): void {
    add(this.websockets, host || NO_HOST, 'host', 1);
  }
  webSocketClosed(host: string): void {
    add(this.websockets, host || NO_HOST, 'host', -1);
  }
}

/** Adds `delta` to the gauge series of `value`; a new series (labels `{ [label]: value }`) starts at 0, as with prom-client's inc/dec. */
function add(cells: Map<string, Cell>, value: string, label: string, delta: number): void {
  const cell = cells.get(value);
  if (cell !== undefined) cell.value += delta;
  else cells.set(value, { labels: { [label]: value }, value: delta });
}

/** A `collect()` that replaces a counter's or gauge's series by the cells, in their order of appearance. */
function collectCells(cells: Map<string, Cell>) {
  return function (this: Counter<string> | Gauge<string>): void {
    this.reset();
    if (this instanceof Gauge) for (const cell of cells.values()) this.set(cell.labels, cell.value);
    else for (const cell of cells.values()) this.inc(cell.labels, cell.value);
  };
}
