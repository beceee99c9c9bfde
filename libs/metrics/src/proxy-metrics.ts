import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { MetricsRegistry, statusClass } from './metrics-registry';

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

/**
 * Data-path metrics, called by the dispatcher (and by the admin API's request hook for listener
 * `api`). Every method is synchronous and cheap: counters in memory, rendered at scrape time.
 */
@Injectable()
export class ProxyMetrics {
  private readonly requests: Counter<'listener' | 'host' | 'status_class'>;
  private readonly duration: Histogram<'listener' | 'host'>;
  private readonly upstreamErrors: Counter<'host' | 'kind'>;
  private readonly connections: Gauge<'listener'>;
  private readonly streams: Gauge<'listener'>;
  private readonly websockets: Gauge<'host'>;

  constructor(metrics: MetricsRegistry) {
    const registers = [metrics.registry];
    this.requests = new Counter({ name: 'proxy_requests_total', help: 'Requests answered, by listener, proxy target host and status class', labelNames: ['listener', 'host', 'status_class'], registers });
    this.duration = new Histogram({
      name: 'proxy_request_duration_seconds',
      help: 'Time from request received to response finished',
      labelNames: ['listener', 'host'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.upstreamErrors = new Counter({ name: 'proxy_upstream_errors_total', help: 'Failures reaching or reading from a backend, by kind (connect, timeout, reset, tls, protocol)', labelNames: ['host', 'kind'], registers });
    this.connections = new Gauge({ name: 'proxy_active_connections', help: 'Open client connections', labelNames: ['listener'], registers });
    this.streams = new Gauge({ name: 'proxy_active_streams', help: 'Requests (HTTP/1 exchanges and HTTP/2 streams) in flight', labelNames: ['listener'], registers });
    this.websockets = new Gauge({ name: 'proxy_active_websockets', help: 'Upgraded WebSocket connections open', labelNames: ['host'], registers });
  }

  observeRequest(request: ObservedRequest): void {
    const host = request.host || NO_HOST;
    this.requests.inc({ listener: request.listener, host, status_class: statusClass(request.status) });
    this.duration.observe({ listener: request.listener, host }, Math.max(0, request.durationMs) / 1000);
  }

  upstreamError(host: string, kind: string): void {
    this.upstreamErrors.inc({ host: host || NO_HOST, kind });
  }

  connectionOpened(listener: MetricsListener): void {
    this.connections.inc({ listener });
  }
  connectionClosed(listener: MetricsListener): void {
    this.connections.dec({ listener });
  }
  streamStarted(listener: MetricsListener): void {
    this.streams.inc({ listener });
  }
  streamEnded(listener: MetricsListener): void {
    this.streams.dec({ listener });
  }
  webSocketOpened(host: string): void {
    this.websockets.inc({ host: host || NO_HOST });
  }
  webSocketClosed(host: string): void {
    this.websockets.dec({ host: host || NO_HOST });
  }
}
