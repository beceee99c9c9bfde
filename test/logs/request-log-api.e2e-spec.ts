import { PromScrape } from '../support/prometheus';
import { ApiResponse, ServerProcess } from '../support/server-process';
import { waitFor } from '../support/wait';

interface Entry {
  id: string;
  ts: number;
  client_ip: string;
  host: string;
  method: string;
  path: string;
  status: number;
  auth_user?: string;
  request_id: string;
  listener: string;
}
interface Page {
  total: number;
  limit: number;
  offset: number;
  entries: Entry[];
}

/**
 * The request log and /metrics of the built server, fed by admin-API traffic (2xx, 4xx, 401 with
 * and without tokens, 404). After the dispatcher merge, extend with proxied traffic (5xx from a
 * dead backend, a PROXY-protocol client with a known address, WebSocket and stream gauges).
 */
describe('request log and metrics over the admin API', () => {
  let server: ServerProcess;
  let alice = '';
  const made: { method: string; path: string; status: number; user?: string; requestId: string }[] = [];
  let before: PromScrape;

  const scrape = async (token?: string): Promise<PromScrape> => {
    const res = await fetch(`${server.apiUrl}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return new PromScrape(await res.text());
  };
  const call = async (
    method: string,
    path: string,
    token: string | null,
    user: string | undefined,
    body?: unknown,
  ): Promise<ApiResponse> => {
    const res = await server.api(method, path, { token, body });
    made.push({ method, path, status: res.status, user, requestId: res.headers.get('x-request-id') ?? '' });
    return res;
  };
  const logs = (query: string, token = server.adminToken) => server.api<Page>('GET', `/api/v1/logs${query}`, { token });
  const rows = (page: Page) =>
    page.entries.map((e) => ({
      method: e.method,
      path: e.path,
      status: e.status,
      user: e.auth_user,
      requestId: e.request_id,
    }));
  const newestFirst = (filter: (m: (typeof made)[number]) => boolean) => made.filter(filter).reverse();

  beforeAll(async () => {
    server = await ServerProcess.start();
    before = await scrape();
    const created = await call('POST', '/api/v1/tokens', server.adminToken, 'ADMIN', { name: 'alice' });
    expect(created.status).toBe(201);
    alice = (created.body as { token: string }).token;
    expect((await call('GET', '/api/v1/tokens/me', alice, 'alice')).status).toBe(200);
    expect((await call('GET', '/api/v1/tokens/me', null, undefined)).status).toBe(401);
    expect((await call('GET', '/api/v1/tokens/me', 'acm_not_a_real_token_000000', undefined)).status).toBe(401);
    expect((await call('GET', '/api/v1/tokens', alice, 'alice')).status).toBe(403);
    expect((await call('GET', '/api/v1/nope', server.adminToken, undefined)).status).toBe(404);
    expect((await call('POST', '/api/v1/tokens', server.adminToken, 'ADMIN', {})).status).toBe(400);
    expect((await call('GET', '/api/v1/tokens/alice', server.adminToken, 'ADMIN')).status).toBe(200);
  });
  afterAll(() => server?.stop());

  it('counts the requests made in /metrics, parsed by a Prometheus text-format parser', async () => {
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) =>
      after.value(name, labels) - before.value(name, labels);
    const api = { listener: 'api', host: '-' };
    // The first scrape itself is one more 2xx.
    expect(delta('proxy_requests_total', { ...api, status_class: '2xx' })).toBe(3 + 1);
    expect(delta('proxy_requests_total', { ...api, status_class: '4xx' })).toBe(5);
    expect(delta('proxy_requests_total', { ...api, status_class: '5xx' })).toBe(0);
    expect(after.family('proxy_request_duration_seconds').type).toBe('HISTOGRAM');
    expect(delta('proxy_request_duration_seconds', {})).toBe(made.length + 1);
    for (const [name, type] of [
      ['proxy_upstream_errors_total', 'COUNTER'],
      ['proxy_active_connections', 'GAUGE'],
      ['proxy_active_streams', 'GAUGE'],
      ['proxy_active_websockets', 'GAUGE'],
      ['proxy_certificate_expiry_seconds', 'GAUGE'],
      ['oauth_tokens_issued_total', 'COUNTER'],
      ['oauth_token_failures_total', 'COUNTER'],
      ['proxy_event_bus_lag', 'GAUGE'],
      ['proxy_event_bus_pending', 'GAUGE'],
      ['proxy_event_bus_dead_letters', 'GAUGE'],
      ['proxy_request_log_written_total', 'COUNTER'],
      ['proxy_request_log_dropped_total', 'COUNTER'],
      ['proxy_request_log_buffered', 'GAUGE'],
      ['proxy_request_log_flush_seconds', 'HISTOGRAM'],
      ['proxy_redis_up', 'GAUGE'],
      ['proxy_redis_latency_seconds', 'GAUGE'],
      ['process_resident_memory_bytes', 'GAUGE'],
    ] as const) {
      expect({ name, type: after.family(name).type }).toEqual({ name, type });
    }
    expect(after.value('proxy_redis_up')).toBe(1);
    expect(after.value('proxy_request_log_dropped_total', { reason: 'buffer_full' })).toBe(0);
    expect(after.value('proxy_request_log_dropped_total', { reason: 'write_failed' })).toBe(0);
  });

  it('logs every API request with its request id, newest first', async () => {
    // The writer flushes every 100 ms, off the request path: wait until the batch is in.
    const page = await waitFor(
      'the 7 token requests in the log',
      async () => (await logs('?path=/api/v1/tokens')).body,
      (p) => p.total >= 7,
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    expect(page).toMatchObject({ total: 7, limit: 100, offset: 0 });
    expect(rows(page)).toEqual(newestFirst((m) => m.path.startsWith('/api/v1/tokens')));
    expect(page.entries[0]).toMatchObject({ client_ip: '127.0.0.1', host: '127.0.0.1', listener: 'api' });
    expect(rows((await logs('?path=/api/v1/nope')).body)).toEqual(newestFirst((m) => m.path === '/api/v1/nope'));
  });

  it('answers each filter with exactly the matching requests', async () => {
    expect(rows((await logs('?user=alice')).body)).toEqual(newestFirst((m) => m.user === 'alice'));
    expect(rows((await logs('/user/alice')).body)).toEqual(newestFirst((m) => m.user === 'alice'));
    expect(rows((await logs('?status=401')).body)).toEqual(newestFirst((m) => m.status === 401));
    expect(rows((await logs('?status=4xx')).body)).toEqual(newestFirst((m) => m.status >= 400));
    expect(rows((await logs('/errors')).body)).toEqual(newestFirst((m) => m.status >= 400));
    expect(rows((await logs('?method=POST')).body)).toEqual(newestFirst((m) => m.method === 'POST'));
    expect(rows((await logs('?ip=127.0.0.1&path=/api/v1/tokens')).body)).toEqual(
      newestFirst((m) => m.path.startsWith('/api/v1/tokens')),
    );
    expect(rows((await logs('/ip/127.0.0.1?path=/api/v1/tokens/me')).body)).toEqual(
      newestFirst((m) => m.path === '/api/v1/tokens/me'),
    );
    expect((await logs('?ip=10.9.9.9')).body).toMatchObject({ total: 0, entries: [] });
    const page = await logs('?path=/api/v1/tokens&limit=2&offset=1');
    expect(page.body).toMatchObject({ total: 7, limit: 2, offset: 1 });
    expect(rows(page.body)).toEqual(newestFirst((m) => m.path.startsWith('/api/v1/tokens')).slice(1, 3));
  });

  it('gives per-host stats for the admin host', async () => {
    const stats = await server.api<{
      hosts: { hostname: string; status_classes: Record<string, number>; unique_ips: number; error_rate: number }[];
    }>('GET', '/api/v1/logs/stats?hostname=127.0.0.1');
    expect(stats.status).toBe(200);
    expect(stats.body.hosts).toHaveLength(1);
    expect(stats.body.hosts[0]).toMatchObject({ hostname: '127.0.0.1', unique_ips: 1, error_rate: 0 });
    expect(stats.body.hosts[0].status_classes['4xx']).toBe(5);
  });

  it('needs a token, and shows other tokens only the hosts they own', async () => {
    expect((await logs('', null as unknown as string)).status).toBe(401);
    expect((await logs('', alice)).body).toMatchObject({ total: 0, entries: [] });
    expect((await logs('?hostname=127.0.0.1', alice)).status).toBe(403);
    expect((await server.api('DELETE', '/api/v1/logs', { token: alice })).status).toBe(403);
  });

  it('follows new entries live over Server-Sent Events', async () => {
    const controller = new AbortController();
    const res = await fetch(`${server.apiUrl}/api/v1/logs/follow?path=/api/v1/tokens/me`, {
      headers: { authorization: `Bearer ${server.adminToken}` },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = decoder.decode((await reader.read()).value);
    expect(text).toContain(': following the request log');
    const me = await server.api('GET', '/api/v1/tokens/me', { token: alice });
    await server.api('GET', '/api/v1/nope'); // filtered out
    while (!/\n\n/.test(text.split('event: entry')[1] ?? '')) text += decoder.decode((await reader.read()).value);
    controller.abort();
    const event = /id: (\S+)\nevent: entry\ndata: (.+)\n\n/.exec(text);
    expect(event).not.toBeNull();
    const entry = JSON.parse(event![2]) as Entry;
    expect(entry).toMatchObject({
      id: event![1],
      method: 'GET',
      path: '/api/v1/tokens/me',
      status: 200,
      auth_user: 'alice',
      request_id: me.headers.get('x-request-id'),
    });
    // The follow request itself is logged once it ends.
    const follows = await waitFor(
      'the follow request in the log',
      async () => (await logs('?path=/api/v1/logs/follow')).body,
      (p) => p.total >= 1,
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    expect(follows.entries.map((e) => [e.method, e.path, e.status, e.auth_user])).toEqual([
      ['GET', '/api/v1/logs/follow', 200, 'ADMIN'],
    ]);
  });

  it('clears the log (admin)', async () => {
    const cleared = await server.api<{ deleted: number }>('DELETE', '/api/v1/logs');
    expect(cleared.status).toBe(200);
    expect(cleared.body.deleted).toBeGreaterThanOrEqual(made.length);
    expect((await logs('?path=/api/v1/tokens')).body).toMatchObject({ total: 0, entries: [] });
  });

  it('protects /metrics with METRICS_TOKEN when it is set', async () => {
    const guarded = await ServerProcess.start({ env: { METRICS_TOKEN: 'metrics_scraper_secret_0123' } });
    try {
      const anonymous = await fetch(`${guarded.apiUrl}/metrics`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
      expect(
        (await fetch(`${guarded.apiUrl}/metrics`, { headers: { authorization: `Bearer ${guarded.adminToken}` } }))
          .status,
      ).toBe(401);
      const ok = await fetch(`${guarded.apiUrl}/metrics`, {
        headers: { authorization: 'Bearer metrics_scraper_secret_0123' },
      });
      expect(ok.status).toBe(200);
      expect(new PromScrape(await ok.text()).family('proxy_requests_total').type).toBe('COUNTER');
    } finally {
      await guarded.stop();
    }
  });
});
