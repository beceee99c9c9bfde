import { Test } from '@nestjs/testing';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { parseEnvironment } from '@app/config';
import { ApiExceptionFilter, createValidationPipe } from '@app/http';
import { RedisConnections, RedisKeys } from '@app/redis';
import { LogClock, RequestLogEntry, RequestLogRetention, RequestLogWriter } from '@app/request-log';
import { AppModule } from '../../apps/server/src/app.module';
import { testRedisEnv } from '../support/test-redis';

/**
 * The request log's store and queries in process, against the suite's real Redis, fed with
 * proxied-style entries through RequestLogWriter.record() exactly as the dispatcher will feed it
 * (hosts, upstreams, OAuth users and clients, a PROXY-protocol client address). After the
 * dispatcher merge, the same expectations get checked with real proxied traffic.
 */

class MovableClock extends LogClock {
  offsetMs = 0;
  override now(): number {
    return Date.now() + this.offsetMs;
  }
}

const HOUR = 3_600_000;
const ADMIN = 'acm_request_log_queries_admin_0123';

interface Page {
  total: number;
  limit: number;
  offset: number;
  truncated: boolean;
  entries: (RequestLogEntry & { id: string })[];
}

describe('request log queries (in process, real Redis)', () => {
  let app: NestFastifyApplication;
  let writer: RequestLogWriter;
  const clock = new MovableClock();
  const prefix = `${process.env.TEST_REDIS_PREFIX}-logq`;
  const now = Date.now();
  const base = now - 2 * HOUR;
  let oldEntryId = '';

  const entry = (request_id: string, offsetMs: number, fields: Partial<RequestLogEntry>): RequestLogEntry => ({
    ts: base + offsetMs,
    client_ip: '192.0.2.1',
    host: 'other.example.test',
    method: 'GET',
    path: '/',
    status: 200,
    bytes_out: 100,
    duration_ms: 10,
    request_id,
    listener: 'https',
    ...fields,
  });

  // A client's full OAuth flow through the PROXY-protocol listener, a failing backend, a failed authorize.
  const dataset: RequestLogEntry[] = [
    entry('r1', 0, {
      client_ip: '203.0.113.7',
      host: 'auth.example.test',
      path: '/authorize',
      status: 302,
      oauth_client_id: 'client-a',
      listener: 'proxy-protocol',
    }),
    entry('r2', 1000, {
      client_ip: '203.0.113.7',
      host: 'auth.example.test',
      path: '/callback',
      status: 302,
      listener: 'proxy-protocol',
    }),
    entry('r3', 2000, {
      client_ip: '203.0.113.7',
      host: 'auth.example.test',
      method: 'POST',
      path: '/token',
      status: 200,
      oauth_client_id: 'client-a',
      listener: 'proxy-protocol',
    }),
    entry('r4', 3000, {
      client_ip: '203.0.113.7',
      host: 'mcp.example.test',
      method: 'POST',
      path: '/mcp',
      status: 200,
      duration_ms: 40,
      auth_user: 'alice',
      oauth_client_id: 'client-a',
      upstream: 'http://127.0.0.1:3001',
      listener: 'proxy-protocol',
    }),
    entry('r5', 4000, {
      client_ip: '198.51.100.20',
      host: 'mcp.example.test',
      path: '/mcp',
      status: 401,
      duration_ms: 2,
    }),
    entry('r6', 5000, {
      client_ip: '198.51.100.20',
      host: 'mcp.example.test',
      method: 'POST',
      path: '/mcp?session=abc',
      status: 502,
      duration_ms: 5,
      upstream: 'http://127.0.0.1:3001',
      error: 'upstream connect ECONNREFUSED',
    }),
    entry('r7', 6000, { listener: 'http' }),
    entry('r8', 7000, {
      client_ip: '192.0.2.50',
      host: 'auth.example.test',
      path: '/authorize',
      status: 400,
      oauth_client_id: 'client-b',
    }),
    // 20 requests on one host with durations 1..20 ms, three of them 500s, from two addresses.
    ...Array.from({ length: 20 }, (_, i) =>
      entry(`s${i + 1}`, 10_000 + i * 100, {
        host: 'stats.example.test',
        duration_ms: i + 1,
        status: [4, 9, 14].includes(i) ? 500 : 200,
        client_ip: i % 2 ? '192.0.2.10' : '192.0.2.11',
        bytes_out: 10,
      }),
    ),
  ];

  const get = async <T = Page>(url: string, token: string = ADMIN): Promise<{ status: number; body: T }> => {
    const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
    return { status: res.statusCode, body: res.json<T>() };
  };
  const ids = (page: Page) => page.entries.map((e) => e.request_id);

  beforeAll(async () => {
    const env = parseEnvironment({
      ADMIN_TOKEN: ADMIN,
      ...testRedisEnv(),
      REDIS_KEY_PREFIX: prefix,
      LOG_LEVEL: 'silent',
    });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(env)] })
      .overrideProvider(LogClock)
      .useValue(clock)
      .compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    app.useGlobalPipes(createValidationPipe());
    app.useGlobalFilters(new ApiExceptionFilter());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    writer = app.get(RequestLogWriter);

    // Oldest first, so stream ids follow the entries' own times.
    writer.record({
      ...entry('old', 0, { client_ip: '10.1.1.1', host: 'retention.example.test' }),
      ts: now - 23.9 * HOUR,
    });
    await writer.drain();
    const redis = app.get(RedisConnections).client;
    const stream = app.get(RedisKeys).key('reqlog', 'stream');
    oldEntryId = ((await redis.xrange(stream, '-', '+', 'COUNT', 1)) as [string, string[]][])[0][0];
    for (const e of dataset) writer.record(e);
    writer.record({
      ...entry('recent', 0, { client_ip: '10.1.1.1', host: 'retention.example.test' }),
      ts: now - 1 * HOUR,
    });
    await writer.drain();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('finds one client IP (the PROXY-protocol address) newest first, by filter and by route', async () => {
    const search = await get('/api/v1/logs?ip=203.0.113.7');
    expect(search.status).toBe(200);
    expect(ids(search.body)).toEqual(['r4', 'r3', 'r2', 'r1']);
    expect(search.body).toMatchObject({ total: 4, limit: 100, offset: 0, truncated: false });
    expect(search.body.entries[0]).toEqual({
      id: expect.stringMatching(/^\d+-\d+$/),
      ts: base + 3000,
      client_ip: '203.0.113.7',
      host: 'mcp.example.test',
      method: 'POST',
      path: '/mcp',
      status: 200,
      bytes_out: 100,
      duration_ms: 40,
      upstream: 'http://127.0.0.1:3001',
      auth_user: 'alice',
      oauth_client_id: 'client-a',
      request_id: 'r4',
      listener: 'proxy-protocol',
    });
    expect(ids((await get('/api/v1/logs/ip/203.0.113.7')).body)).toEqual(['r4', 'r3', 'r2', 'r1']);
    expect(ids((await get('/api/v1/logs/ip/10.9.9.9')).body)).toEqual([]);
  });

  it('filters by host, client, user, status, method, path prefix, listener and free text', async () => {
    expect(ids((await get('/api/v1/logs/host/mcp.example.test')).body)).toEqual(['r6', 'r5', 'r4']);
    expect(ids((await get('/api/v1/logs?hostname=MCP.example.test')).body)).toEqual(['r6', 'r5', 'r4']);
    expect(ids((await get('/api/v1/logs/client/client-a')).body)).toEqual(['r4', 'r3', 'r1']);
    expect(ids((await get('/api/v1/logs?client_id=client-b')).body)).toEqual(['r8']);
    expect(ids((await get('/api/v1/logs?user=alice')).body)).toEqual(['r4']);
    expect(ids((await get('/api/v1/logs/user/alice')).body)).toEqual(['r4']);
    expect(ids((await get('/api/v1/logs?status=401')).body)).toEqual(['r5']);
    expect(ids((await get('/api/v1/logs?status=5xx&hostname=mcp.example.test')).body)).toEqual(['r6']);
    expect(ids((await get('/api/v1/logs?method=post&hostname=mcp.example.test')).body)).toEqual(['r6', 'r4']);
    expect(ids((await get('/api/v1/logs?path=/mc&ip=198.51.100.20')).body)).toEqual(['r6', 'r5']);
    expect(ids((await get('/api/v1/logs?listener=proxy-protocol')).body)).toEqual(['r4', 'r3', 'r2', 'r1']);
    expect(ids((await get('/api/v1/logs?q=econnrefused')).body)).toEqual(['r6']);
    // The query string never reaches the log.
    expect((await get('/api/v1/logs?q=econnrefused')).body.entries[0].path).toBe('/mcp');
  });

  it('lists errors: 4xx/5xx answers and proxy failures', async () => {
    expect(ids((await get('/api/v1/logs/errors?hostname=mcp.example.test')).body)).toEqual(['r6', 'r5']);
    expect(ids((await get('/api/v1/logs/errors?listener=https')).body)).toEqual(['s15', 's10', 's5', 'r8', 'r6', 'r5']);
  });

  it('pages with limit and offset and honours the time window', async () => {
    const page = await get('/api/v1/logs?hostname=stats.example.test&limit=3&offset=5');
    expect(page.body).toMatchObject({ total: 20, limit: 3, offset: 5 });
    expect(ids(page.body)).toEqual(['s15', 's14', 's13']);
    const since = new Date(base + 500).toISOString();
    const until = new Date(base + 3500).toISOString();
    expect(ids((await get(`/api/v1/logs?ip=203.0.113.7&since=${since}&until=${until}`)).body)).toEqual([
      'r4',
      'r3',
      'r2',
    ]);
    expect(ids((await get(`/api/v1/logs?since=${since}&until=${until}&listener=proxy-protocol`)).body)).toEqual([
      'r4',
      'r3',
      'r2',
    ]);
    // The last hour holds none of the dataset (it is two hours old).
    expect(ids((await get('/api/v1/logs?hours=1&ip=203.0.113.7')).body)).toEqual([]);
  });

  it('rejects malformed queries with a message that says what to fix', async () => {
    const res = await get<{ statusCode: number; message: string }>('/api/v1/logs?status=44&limit=0&colour=red');
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('property colour should not exist');
    expect(res.body.message).toContain('status must be a status code such as 404 or a class such as 4xx');
    expect(res.body.message).toContain('limit must be at least 1');
    expect((await get('/api/v1/logs/oauth/flow')).status).toBe(400);
  });

  it('computes per-host stats: requests, status classes, error rate, exact percentiles, unique IPs', async () => {
    const res = await get<{ hosts: unknown[]; truncated: boolean }>('/api/v1/logs/stats?hostname=stats.example.test');
    expect(res.status).toBe(200);
    expect(res.body.hosts).toEqual([
      {
        hostname: 'stats.example.test',
        requests: 20,
        status_classes: { '2xx': 17, '5xx': 3 },
        error_rate: 0.15,
        p50_ms: 10,
        p95_ms: 19,
        p99_ms: 20,
        unique_ips: 2,
        bytes_out: 200,
      },
    ]);
    const all = await get<{ hosts: { hostname: string; requests: number; error_rate: number }[] }>(
      '/api/v1/logs/stats',
    );
    const mcp = all.body.hosts.find((h) => h.hostname === 'mcp.example.test');
    expect(mcp).toMatchObject({ requests: 3, error_rate: 0.3333 });
  });

  it('gives time buckets of proxied traffic for charts: requests/s, error rate, p95, overall and per host', async () => {
    interface Bucket {
      start: string;
      requests: number;
      errors: number;
      requests_per_s: number;
      error_rate: number;
      p95_ms: number | null;
    }
    interface Series {
      hostname?: string;
      requests: number;
      errors: number;
      p95_ms: number | null;
      buckets: Bucket[];
    }
    type Answer = {
      window: string;
      since: string;
      bucket_seconds: number;
      truncated: boolean;
      overall: Series;
      hosts: Series[];
    };
    const day = await get<Answer>('/api/v1/logs/timeseries?window=24h&hostname=stats.example.test');
    expect(day.status).toBe(200);
    expect(day.body).toMatchObject({ window: '24h', bucket_seconds: 900, truncated: false });
    const buckets = day.body.overall.buckets;
    expect(buckets).toHaveLength(96);
    // Contiguous quarter hours, the last one holding now.
    for (let i = 1; i < buckets.length; i++)
      expect(Date.parse(buckets[i].start) - Date.parse(buckets[i - 1].start)).toBe(900_000);
    expect(Date.parse(buckets[95].start)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(buckets[95].start)).toBeGreaterThan(Date.now() - 900_000);
    // The 20 stats requests (durations 1..20 ms, three 500s): exact totals and percentiles.
    expect(day.body.overall).toMatchObject({ requests: 20, errors: 3, p95_ms: 19 });
    const busy = buckets.filter((b) => b.requests > 0);
    expect(busy.reduce((sum, b) => sum + b.requests, 0)).toBe(20);
    expect(busy.reduce((sum, b) => sum + b.errors, 0)).toBe(3);
    for (const b of busy) {
      expect(b.requests_per_s).toBeCloseTo(b.requests / 900, 4);
      expect(b.error_rate).toBeCloseTo(b.errors / b.requests, 4);
    }
    expect(buckets.find((b) => b.requests === 0)).toMatchObject({ errors: 0, error_rate: 0, p95_ms: null });
    expect(day.body.hosts.map((h) => [h.hostname, h.requests])).toEqual([['stats.example.test', 20]]);

    // Every host: busiest first; entries two hours old are outside the last hour.
    const all = await get<Answer>('/api/v1/logs/timeseries?window=24h');
    expect(all.body.hosts.slice(0, 3).map((h) => [h.hostname, h.requests, h.errors])).toEqual([
      ['stats.example.test', 20, 3],
      ['auth.example.test', 4, 0],
      ['mcp.example.test', 3, 1],
    ]);
    const hour = await get<Answer>('/api/v1/logs/timeseries');
    expect(hour.body).toMatchObject({ window: '1h', bucket_seconds: 60 });
    expect(hour.body.overall.buckets).toHaveLength(60);
    // This suite's own admin-API requests (logged with listener "api") are not traffic of the proxy.
    await writer.drain();
    expect((await get('/api/v1/logs?listener=api&hours=1')).body.total).toBeGreaterThan(0);
    expect(hour.body.overall.requests).toBe(0);
    expect(hour.body.hosts).toEqual([]);

    const bad = await get<{ message: string }>('/api/v1/logs/timeseries?window=7d');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe('window must be 1h or 24h');
  });

  it('lines up one client OAuth flow: authorize, callback, token, first protected call', async () => {
    const res = await get<{
      steps: { step: string; request_id: string }[];
      completed: boolean;
      stopped_at: string | null;
      authorize: unknown;
      first_protected_call: unknown;
    }>('/api/v1/logs/oauth/flow?client_id=client-a');
    expect(res.status).toBe(200);
    expect(res.body.steps.map((s) => [s.step, s.request_id])).toEqual([
      ['authorize', 'r1'],
      ['callback', 'r2'],
      ['token', 'r3'],
      ['protected_call', 'r4'],
    ]);
    expect(res.body).toMatchObject({
      completed: true,
      stopped_at: null,
      authorize: { ts: base, status: 302, request_id: 'r1' },
      first_protected_call: { ts: base + 3000, status: 200, request_id: 'r4' },
    });

    const failed = await get<{
      steps: { step: string; request_id: string }[];
      completed: boolean;
      stopped_at: string | null;
    }>('/api/v1/logs/oauth/flow?client_id=client-b');
    expect(failed.body.steps.map((s) => [s.step, s.request_id])).toEqual([['authorize', 'r8']]);
    expect(failed.body).toMatchObject({ completed: false, stopped_at: 'authorize' });

    const byUser = await get<{ steps: { step: string; request_id: string }[]; stopped_at: string | null }>(
      '/api/v1/logs/oauth/flow?user=alice',
    );
    expect(byUser.body.steps.map((s) => [s.step, s.request_id])).toEqual([['protected_call', 'r4']]);
    expect(byUser.body.stopped_at).toBe('authorize');

    const activity = await get('/api/v1/logs/oauth');
    expect(ids(activity.body)).toEqual(['r8', 'r4', 'r3', 'r2', 'r1']);
  });

  it('shows a non-admin token only the hosts it owns, and never admin-API entries', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: { authorization: `Bearer ${ADMIN}` },
      payload: { name: 'bob' },
    });
    expect(created.statusCode).toBe(201);
    const bob = created.json<{ token: string }>().token;
    // Owning no proxy target yet, a non-admin token sees nothing.
    expect((await get('/api/v1/logs', bob)).body).toMatchObject({ total: 0, entries: [] });

    // Bob's own proxy target makes its host's entries his (HTTP only: no certificate to order).
    const target = await app.inject({
      method: 'POST',
      url: '/api/v1/proxy/targets',
      headers: { authorization: `Bearer ${bob}` },
      payload: { hostname: 'mcp.example.test', target_url: 'http://127.0.0.1:9', enable_https: false },
    });
    expect(target.statusCode).toBe(201);
    expect(ids((await get('/api/v1/logs', bob)).body)).toEqual(['r6', 'r5', 'r4']);
    expect(ids((await get('/api/v1/logs?ip=203.0.113.7', bob)).body)).toEqual(['r4']);
    expect(ids((await get('/api/v1/logs/errors', bob)).body)).toEqual(['r6', 'r5']);
    expect(
      (await get<{ hosts: { hostname: string }[] }>('/api/v1/logs/stats', bob)).body.hosts.map((h) => h.hostname),
    ).toEqual(['mcp.example.test']);
    const series = await get<{ overall: { requests: number }; hosts: { hostname: string }[] }>(
      '/api/v1/logs/timeseries?window=24h',
      bob,
    );
    expect([series.body.overall.requests, series.body.hosts.map((h) => h.hostname)]).toEqual([3, ['mcp.example.test']]);
    expect((await get('/api/v1/logs/timeseries?hostname=other.example.test', bob)).status).toBe(403);
    expect(
      (await get<{ statusCode: number; message: string }>('/api/v1/logs?hostname=other.example.test', bob)).body,
    ).toMatchObject({
      statusCode: 403,
      message: 'hostname "other.example.test" is not one of your proxy targets',
    });
    const cleared = await app.inject({
      method: 'DELETE',
      url: '/api/v1/logs',
      headers: { authorization: `Bearer ${bob}` },
    });
    expect(cleared.statusCode).toBe(403);
  });

  it('records the admin API requests it serves (listener api, token name as user)', async () => {
    await get('/api/v1/logs?ip=10.9.9.9');
    await app.inject({ method: 'GET', url: '/api/v1/nope' });
    await writer.drain();
    const page = await get('/api/v1/logs?listener=api&path=/api/v1/nope');
    expect(page.body.entries.map((e) => [e.method, e.path, e.status, e.auth_user, e.listener])).toEqual([
      ['GET', '/api/v1/nope', 404, undefined, 'api'],
    ]);
    // Paths are stored without their query string.
    expect((await get('/api/v1/logs?listener=api&q=%3F')).body.entries).toEqual([]);
    const withUser = await get('/api/v1/logs?listener=api&user=ADMIN&path=/api/v1/logs/ip/10.9.9.9');
    expect(withUser.body.entries.map((e) => [e.method, e.path, e.status, e.auth_user, e.host, e.client_ip])).toEqual([
      ['GET', '/api/v1/logs/ip/10.9.9.9', 200, 'ADMIN', 'localhost', '127.0.0.1'],
    ]);
  });

  it('retention removes old entries and their index entries', async () => {
    const redis = app.get(RedisConnections).client;
    const keys = app.get(RedisKeys);
    const stream = keys.key('reqlog', 'stream');
    const oldHour = Math.floor((now - 23.9 * HOUR) / HOUR);
    const oldIndexKeys = [
      keys.key('reqlog', 'idx', 'ip', '10.1.1.1', oldHour),
      keys.key('reqlog', 'idx', 'host', 'retention.example.test', oldHour),
      keys.key('reqlog', 'idx', 'status', '2xx', oldHour),
    ];
    expect(ids((await get('/api/v1/logs?ip=10.1.1.1')).body)).toEqual(['recent', 'old']);
    expect(await redis.xrange(stream, oldEntryId, oldEntryId)).toHaveLength(1);
    for (const key of oldIndexKeys) expect(await redis.zscore(key, oldEntryId)).not.toBeNull();

    clock.offsetMs = 2 * HOUR; // the old entry is now 25.9 h old, past LOG_RETENTION_HOURS=24
    const swept = await app.get(RequestLogRetention).sweep();
    expect(swept.entries).toBe(1);
    expect(await redis.xrange(stream, oldEntryId, oldEntryId)).toEqual([]);
    for (const key of oldIndexKeys) expect(await redis.exists(key)).toBe(0);
    expect(await redis.zscore(keys.key('reqlog', 'indexes'), oldIndexKeys[0])).toBeNull();
    expect(ids((await get('/api/v1/logs?ip=10.1.1.1')).body)).toEqual(['recent']);
    clock.offsetMs = 0;
  });

  it('runs the scheduled retention sweep on one replica at a time (cluster-wide singleton lock)', async () => {
    const redis = app.get(RedisConnections).client;
    const lock = app.get(RedisKeys).key('lock', 'singleton', 'request-log-retention');
    await redis.set(lock, 'another-replica', 'PX', 30_000);
    expect(await app.get(RequestLogRetention).scheduledSweep()).toBe(false);
    expect(await redis.get(lock)).toBe('another-replica');
    await redis.del(lock);
    expect(await app.get(RequestLogRetention).scheduledSweep()).toBe(true);
    expect(await redis.exists(lock)).toBe(0); // released after the sweep
  });
});
