import { AggregatorRegistry, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { MetricsRegistry, statusClass } from './metrics-registry';
import { MetricsListener, NO_HOST, ObservedRequest, ProxyMetrics } from './proxy-metrics';

/**
 * The recorder as it was before it kept its numbers in memory: prom-client called with label
 * objects on every request. Kept here as the reference the rendered text must equal.
 */
class PromClientProxyMetrics {
  private readonly requests: Counter<'listener' | 'host' | 'status_class'>;
  private readonly duration: Histogram<'listener' | 'host'>;
  private readonly upstreamErrors: Counter<'host' | 'kind'>;
  private readonly connections: Gauge<'listener'>;
  private readonly streams: Gauge<'listener'>;
  private readonly websockets: Gauge<'host'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'proxy_requests_total',
      help: 'Requests answered, by listener, proxy target host and status class',
      labelNames: ['listener', 'host', 'status_class'],
      registers,
    });
    this.duration = new Histogram({
      name: 'proxy_request_duration_seconds',
      help: 'Time from request received to response finished',
      labelNames: ['listener', 'host'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.upstreamErrors = new Counter({
      name: 'proxy_upstream_errors_total',
      help: 'Failures reaching or reading from a backend, by kind (connect, timeout, reset, tls, protocol)',
      labelNames: ['host', 'kind'],
      registers,
    });
    this.connections = new Gauge({
      name: 'proxy_active_connections',
      help: 'Open client connections',
      labelNames: ['listener'],
      registers,
    });
    this.streams = new Gauge({
      name: 'proxy_active_streams',
      help: 'Requests (HTTP/1 exchanges and HTTP/2 streams) in flight',
      labelNames: ['listener'],
      registers,
    });
    this.websockets = new Gauge({
      name: 'proxy_active_websockets',
      help: 'Upgraded WebSocket connections open',
      labelNames: ['host'],
      registers,
    });
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

type Recorder = Pick<
  ProxyMetrics,
  | 'observeRequest'
  | 'upstreamError'
  | 'connectionOpened'
  | 'connectionClosed'
  | 'streamStarted'
  | 'streamEnded'
  | 'webSocketOpened'
  | 'webSocketClosed'
>;

const recorderOn = (registry: Registry): ProxyMetrics => new ProxyMetrics({ registry } as MetricsRegistry);

/** A deterministic pseudo-random sequence (the same calls for both recorders, and on every run). */
function* randomCalls(seed: number, count: number): Generator<(r: Recorder) => void> {
  let state = seed;
  const next = (n: number): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % n;
  };
  const listeners: MetricsListener[] = ['http', 'https', 'api', 'proxy-protocol'];
  const hosts = ['a.test', 'b.test', '', NO_HOST, 'we"ird\\host.test'];
  const statuses = [200, 201, 204, 301, 304, 404, 499, 500, 502, 99, 600, 0];
  const durations = [0, 0.3, 4.9, 5, 5.1, 12.7, 99.99, 250, 999.9, 1000, 7_000, 29_999, 30_000, 30_001, 120_000, -3];
  for (let i = 0; i < count; i++) {
    // Every random choice is made here, not in the returned call: both recorders get the same one.
    const listener = listeners[next(listeners.length)];
    const host = hosts[next(hosts.length)];
    const kind = next(8);
    const flip = next(3);
    const status = statuses[next(statuses.length)];
    const durationMs = durations[next(durations.length)] + (next(2) ? next(1000) / 1000 : 0); // exact bounds half the time
    const errorKind = ['connect', 'timeout', 'reset'][next(3)];
    switch (kind) {
      case 0:
      case 1:
      case 2:
        yield (r) => r.observeRequest({ listener, host, status, durationMs });
        break;
      case 3:
        yield (r) => r.upstreamError(host, errorKind);
        break;
      case 4:
        yield (r) => (flip ? r.connectionOpened(listener) : r.connectionClosed(listener));
        break;
      case 5:
        yield (r) => (flip ? r.streamStarted(listener) : r.streamEnded(listener));
        break;
      default:
        yield (r) => (flip ? r.webSocketOpened(host) : r.webSocketClosed(host));
    }
  }
}

describe('ProxyMetrics', () => {
  let registry: Registry;
  let metrics: ProxyMetrics;

  beforeEach(() => {
    registry = new Registry();
    metrics = recorderOn(registry);
  });

  it('renders nothing but the families before the first observation', async () => {
    expect(await registry.metrics()).toBe(
      [
        '# HELP proxy_requests_total Requests answered, by listener, proxy target host and status class',
        '# TYPE proxy_requests_total counter',
        '',
        '# HELP proxy_request_duration_seconds Time from request received to response finished',
        '# TYPE proxy_request_duration_seconds histogram',
        '',
        '# HELP proxy_upstream_errors_total Failures reaching or reading from a backend, by kind (connect, timeout, reset, tls, protocol)',
        '# TYPE proxy_upstream_errors_total counter',
        '',
        '# HELP proxy_active_connections Open client connections',
        '# TYPE proxy_active_connections gauge',
        '',
        '# HELP proxy_active_streams Requests (HTTP/1 exchanges and HTTP/2 streams) in flight',
        '# TYPE proxy_active_streams gauge',
        '',
        '# HELP proxy_active_websockets Upgraded WebSocket connections open',
        '# TYPE proxy_active_websockets gauge',
        '',
      ].join('\n'),
    );
  });

  it('counts requests and durations per listener and host, with cumulative buckets', async () => {
    metrics.observeRequest({ listener: 'http', host: 'a.test', status: 200, durationMs: 3 });
    metrics.observeRequest({ listener: 'http', host: 'a.test', status: 204, durationMs: 20 });
    metrics.observeRequest({ listener: 'https', host: 'a.test', status: 502, durationMs: 45_000 });
    metrics.observeRequest({ listener: 'http', host: 'b.test', status: 404, durationMs: 5 });
    metrics.observeRequest({ listener: 'http', host: '', status: 0, durationMs: -1 });
    const text = await registry.metrics();
    const lines = (prefix: string): string[] => text.split('\n').filter((l) => l.startsWith(prefix));
    expect(lines('proxy_requests_total{')).toEqual([
      'proxy_requests_total{listener="http",host="a.test",status_class="2xx"} 2',
      'proxy_requests_total{listener="https",host="a.test",status_class="5xx"} 1',
      'proxy_requests_total{listener="http",host="b.test",status_class="4xx"} 1',
      'proxy_requests_total{listener="http",host="-",status_class="other"} 1',
    ]);
    expect(lines('proxy_request_duration_seconds_bucket{le="0.005",')).toEqual([
      'proxy_request_duration_seconds_bucket{le="0.005",listener="http",host="a.test"} 1',
      'proxy_request_duration_seconds_bucket{le="0.005",listener="https",host="a.test"} 0',
      'proxy_request_duration_seconds_bucket{le="0.005",listener="http",host="b.test"} 1',
      'proxy_request_duration_seconds_bucket{le="0.005",listener="http",host="-"} 1',
    ]);
    const first = lines('proxy_request_duration_seconds_bucket{').filter(
      (l) => l.endsWith('listener="http",host="a.test"} 1') || l.endsWith('listener="http",host="a.test"} 2'),
    );
    expect(first).toEqual([
      'proxy_request_duration_seconds_bucket{le="0.005",listener="http",host="a.test"} 1',
      'proxy_request_duration_seconds_bucket{le="0.01",listener="http",host="a.test"} 1',
      'proxy_request_duration_seconds_bucket{le="0.025",listener="http",host="a.test"} 2',
      'proxy_request_duration_seconds_bucket{le="0.05",listener="http",host="a.test"} 2',
      'proxy_request_duration_seconds_bucket{le="0.1",listener="http",host="a.test"} 2',
      'proxy_request_duration_seconds_bucket{le="0.25",listener="http",host="a.test"} 2',
      'proxy_request_duration_seconds_bucket{le="0.5",listener="http",host="a.test"} 2',
      'proxy_request_duration_seconds_bucket{le="1",listener="http",host="a.test"} 2',
      'proxy_request_duration_seconds_bucket{le="2.5",listener="http",host="a.test"} 2',
      'proxy_request_duration_seconds_bucket{le="5",listener="http",host="a.test"} 2',
      'proxy_request_duration_seconds_bucket{le="10",listener="http",host="a.test"} 2',
      'proxy_request_duration_seconds_bucket{le="30",listener="http",host="a.test"} 2',
      'proxy_request_duration_seconds_bucket{le="+Inf",listener="http",host="a.test"} 2',
    ]);
    // Above the last bound: only +Inf and the count.
    expect(lines('proxy_request_duration_seconds_bucket{le="30",listener="https"')).toEqual([
      'proxy_request_duration_seconds_bucket{le="30",listener="https",host="a.test"} 0',
    ]);
    expect(lines('proxy_request_duration_seconds_bucket{le="+Inf",listener="https"')).toEqual([
      'proxy_request_duration_seconds_bucket{le="+Inf",listener="https",host="a.test"} 1',
    ]);
    expect(lines('proxy_request_duration_seconds_sum{')).toEqual([
      'proxy_request_duration_seconds_sum{listener="http",host="a.test"} 0.023',
      'proxy_request_duration_seconds_sum{listener="https",host="a.test"} 45',
      'proxy_request_duration_seconds_sum{listener="http",host="b.test"} 0.005',
      'proxy_request_duration_seconds_sum{listener="http",host="-"} 0',
    ]);
    expect(lines('proxy_request_duration_seconds_count{')).toEqual([
      'proxy_request_duration_seconds_count{listener="http",host="a.test"} 2',
      'proxy_request_duration_seconds_count{listener="https",host="a.test"} 1',
      'proxy_request_duration_seconds_count{listener="http",host="b.test"} 1',
      'proxy_request_duration_seconds_count{listener="http",host="-"} 1',
    ]);
  });

  it('moves gauges up and down and counts upstream errors by host and kind', async () => {
    metrics.connectionOpened('http');
    metrics.connectionOpened('http');
    metrics.connectionOpened('https');
    metrics.connectionClosed('http');
    metrics.streamStarted('https');
    metrics.streamEnded('https');
    metrics.streamEnded('api'); // a series that starts with a decrement, as prom-client's dec()
    metrics.webSocketOpened('a.test');
    metrics.webSocketOpened('');
    metrics.webSocketOpened('a.test');
    metrics.webSocketClosed('a.test');
    metrics.upstreamError('a.test', 'connect');
    metrics.upstreamError('', 'timeout');
    metrics.upstreamError('a.test', 'connect');
    const text = await registry.metrics();
    const values = text.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(values).toEqual([
      'proxy_upstream_errors_total{host="a.test",kind="connect"} 2',
      'proxy_upstream_errors_total{host="-",kind="timeout"} 1',
      'proxy_active_connections{listener="http"} 1',
      'proxy_active_connections{listener="https"} 1',
      'proxy_active_streams{listener="https"} 0',
      'proxy_active_streams{listener="api"} -1',
      'proxy_active_websockets{host="a.test"} 1',
      'proxy_active_websockets{host="-"} 1',
    ]);
  });

  it('keeps counting after a scrape (the scrape reads, never resets)', async () => {
    metrics.observeRequest({ listener: 'http', host: 'a.test', status: 200, durationMs: 1 });
    metrics.streamStarted('http');
    await registry.metrics();
    metrics.observeRequest({ listener: 'http', host: 'a.test', status: 200, durationMs: 1 });
    metrics.streamStarted('http');
    const text = await registry.metrics();
    expect(text).toContain('proxy_requests_total{listener="http",host="a.test",status_class="2xx"} 2\n');
    expect(text).toContain('proxy_request_duration_seconds_count{listener="http",host="a.test"} 2\n');
    expect(text).toContain('proxy_active_streams{listener="http"} 2\n');
  });

  it('refuses a non-finite duration like prom-client: the request is counted, the histogram untouched', async () => {
    expect(() =>
      metrics.observeRequest({ listener: 'http', host: 'a.test', status: 200, durationMs: Number.NaN }),
    ).toThrow(TypeError);
    const text = await registry.metrics();
    expect(text).toContain('proxy_requests_total{listener="http",host="a.test",status_class="2xx"} 1\n');
    expect(text).not.toContain('proxy_request_duration_seconds_count');
  });

  it('renders exactly what prom-client called on every request renders, text and JSON', async () => {
    const referenceRegistry = new Registry();
    const reference = new PromClientProxyMetrics(referenceRegistry);
    for (const call of randomCalls(7, 5_000)) {
      call(metrics);
      call(reference);
    }
    // Same calls again, from a second sequence, after a scrape: nothing is lost or doubled by scraping.
    await registry.metrics();
    for (const call of randomCalls(11, 2_000)) {
      call(metrics);
      call(reference);
    }
    const text = await registry.metrics();
    expect(text.split('\n').length).toBeGreaterThan(300);
    expect(text).toBe(await referenceRegistry.metrics());
    expect(JSON.parse(JSON.stringify(await registry.getMetricsAsJSON()))).toEqual(
      JSON.parse(JSON.stringify(await referenceRegistry.getMetricsAsJSON())),
    );
  });

  it('merges across cluster workers as prom-client metrics do', async () => {
    const workers = [7, 8].map((seed) => {
      const ours = new Registry();
      const theirs = new Registry();
      const recorder = recorderOn(ours);
      const reference = new PromClientProxyMetrics(theirs);
      for (const call of randomCalls(seed, 2_000)) {
        call(recorder);
        call(reference);
      }
      return { ours, theirs };
    });
    const merged = AggregatorRegistry.aggregate(await Promise.all(workers.map((w) => w.ours.getMetricsAsJSON())));
    const expected = AggregatorRegistry.aggregate(await Promise.all(workers.map((w) => w.theirs.getMetricsAsJSON())));
    const text = await merged.metrics();
    expect(text).toContain('proxy_request_duration_seconds_bucket{le="+Inf",');
    expect(text).toBe(await expected.metrics());
  });
});
