import { Logger } from '@nestjs/common';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppConfig, parseEnvironment } from '@app/config';
import type { RequestLogEntry, RequestLogWriter } from '@app/request-log';
import type { ProxyTargetRecord } from '@app/proxy-targets';
import type { RouteRecord } from '@app/routes';
import type { ForwardingEngine, UpstreamRequest } from './forwarding-engine';
import { PublicSurfaceRegistry } from './public-surface.registry';
import { ExchangeRecorder } from './exchange-recorder';
import { RequestLimits } from './request-limits';
import { hostOf } from './host-header';
import { RequestDispatcher } from './request-dispatcher';
import { RoutingTable } from './routing-table';
import type { RoutingTableStore } from './routing-table.store';
import type { AuthDecision, TargetAuthPolicy } from './target-auth';

const target: ProxyTargetRecord = {
  hostname: 'app.test',
  target_url: 'http://10.0.0.1:8080',
  owner: 'ADMIN',
  enabled: true,
  enable_http: true,
  enable_https: true,
  preserve_host_header: true,
  redirect_http_to_https: false,
  custom_headers: {},
  custom_response_headers: {},
  connect_timeout: 10,
  read_timeout: 300,
  route_mode: 'all',
  enabled_routes: [],
  disabled_routes: [],
  auth: { enabled: true },
  created_at: new Date(0).toISOString(),
};
const openRoute: RouteRecord = {
  route_id: 'open',
  path_pattern: '/public/',
  is_regex: false,
  target_type: 'url',
  target_value: 'http://10.0.0.2',
  priority: 50,
  methods: [],
  scope: 'global',
  proxy_hostnames: [],
  enabled: true,
  bypass_auth: true,
  description: '',
  owner: 'ADMIN',
  created_seq: 1,
  created_at: new Date(0).toISOString(),
};

/** Records what would be forwarded instead of forwarding it. */
class RecordingEngine implements ForwardingEngine {
  forward(_req: http.IncomingMessage, res: http.ServerResponse, upstream: UpstreamRequest): void {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ url: upstream.url.href, headers: upstream.headers }));
  }
  upgrade(): void {
    throw new Error('not used');
  }
}

class StubPolicy implements TargetAuthPolicy {
  seen: string[] = [];
  decide(req: http.IncomingMessage, resolved: { target: ProxyTargetRecord }): AuthDecision {
    this.seen.push(`${req.url} ${JSON.stringify(resolved.target.auth)}`);
    return req.headers.authorization === 'Bearer good'
      ? { action: 'forward', setHeaders: { 'X-Auth-User': 'alice' }, identity: { user: 'alice', clientId: 'client-1' } }
      : {
          action: 'respond',
          status: 401,
          headers: { 'www-authenticate': 'Bearer resource_metadata="x"', 'content-type': 'application/json' },
          body: '{"error":"unauthorized"}',
        };
  }
}

describe('RequestDispatcher', () => {
  const policy = new StubPolicy();
  const registry = new PublicSurfaceRegistry();
  const store = { current: new RoutingTable([target], [openRoute], []) } as unknown as RoutingTableStore;
  const config = new AppConfig(parseEnvironment({ ADMIN_TOKEN: 'acm_dispatcher_spec_0123' }));
  const recorded: RequestLogEntry[] = [];
  const requestLog = { record: (entry: RequestLogEntry) => recorded.push(entry) } as unknown as RequestLogWriter;
  const dispatcher = new RequestDispatcher(
    config,
    registry,
    store,
    new RecordingEngine(),
    new ExchangeRecorder(config, requestLog),
    new RequestLimits(config),
    policy,
  );
  const server = http.createServer((req, res) => dispatcher.handle(req, res));
  let port: number;

  beforeAll(async () => {
    registry.register({
      name: 'low',
      priority: 10,
      matches: (i) => i.path === '/claimed',
      handle: (_q, res) => void res.end('low'),
    });
    registry.register({
      name: 'high',
      priority: 100,
      matches: (i) => i.path.startsWith('/claimed'),
      handle: (_q, res, i) => void res.end(`high ${i.host} ${i.clientIp} ${i.secure}`),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function get(
    path: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path, headers: { host: 'App.Test:8080', ...headers }, agent: false }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        })
        .on('error', reject);
    });
  }

  it('asks public handlers first, highest priority first', async () => {
    expect((await get('/claimed')).body).toBe('high app.test 127.0.0.1 false');
  });

  it('lets the auth policy answer for the target, with its own status, headers and body', async () => {
    const res = await get('/private', { 'x-auth-user': 'spoofed' });
    expect([res.status, res.headers['www-authenticate'], res.body]).toEqual([
      401,
      'Bearer resource_metadata="x"',
      '{"error":"unauthorized"}',
    ]);
    expect(policy.seen).toContain('/private {"enabled":true}');
  });

  it('forwards with the policy headers set after the client identity headers were removed', async () => {
    const res = await get('/private', { authorization: 'Bearer good', 'x-auth-user': 'spoofed' });
    const forwarded = JSON.parse(res.body) as { url: string; headers: Record<string, string> };
    expect(forwarded.url).toBe('http://10.0.0.1:8080/');
    expect(forwarded.headers).toMatchObject({
      'x-auth-user': 'alice',
      host: 'App.Test:8080',
      'x-forwarded-for': '127.0.0.1',
    });
  });

  it('skips the policy only for a route that says bypass_auth', async () => {
    const before = policy.seen.length;
    const res = await get('/public/x');
    expect(JSON.parse(res.body)).toMatchObject({ url: 'http://10.0.0.2/' });
    expect(policy.seen.length).toBe(before);
  });

  it('decides on the canonical path and hands it on in req.url: no climb out of a bypass_auth route', async () => {
    const before = policy.seen.length;
    const res = await get('/public/%2e%2e/private?q=/../x');
    expect(res.status).toBe(401);
    expect(policy.seen.slice(before)).toEqual(['/private?q=/../x {"enabled":true}']);
    const refused = await get('/public/..%2Fprivate');
    expect([refused.status, refused.body]).toEqual([
      400,
      '400 Bad Request: the request path contains an encoded slash (%2F) or backslash (%5C): send the segments unencoded\n',
    ]);
    expect(policy.seen.length).toBe(before + 1);
  });

  it('records each request once, with the identity the policy found and the request id', async () => {
    recorded.length = 0;
    const res = await get('/private?token=secret', { authorization: 'Bearer good', 'x-request-id': 'spec-1' });
    const denied = await get('/private');
    await new Promise((r) => setImmediate(r));
    expect(recorded).toHaveLength(2);
    expect(recorded[0]).toMatchObject({
      host: 'app.test',
      method: 'GET',
      path: '/private',
      status: 200,
      auth_user: 'alice',
      oauth_client_id: 'client-1',
      request_id: 'spec-1',
      listener: 'http',
      upstream: 'http://10.0.0.1:8080/',
    });
    expect(JSON.parse(res.body).headers['x-request-id']).toBe('spec-1');
    expect(recorded[1]).toMatchObject({ status: 401, request_id: denied.headers['x-request-id'] });
    expect(recorded[1].auth_user).toBeUndefined();
  });

  it('parses Host headers', () => {
    expect([
      hostOf('A.test:80'),
      hostOf('[::1]:8080'),
      hostOf('x.test.'),
      hostOf(''),
      hostOf('a b'),
      hostOf('a:b:c'),
    ]).toEqual(['a.test', '[::1]', 'x.test', null, null, null]);
  });
});

describe('RequestDispatcher without an auth policy (TARGET_AUTH_POLICY not provided)', () => {
  const open: ProxyTargetRecord = { ...target, hostname: 'open.test', auth: null };
  const registry = new PublicSurfaceRegistry();
  const store = { current: new RoutingTable([target, open], [], []) } as unknown as RoutingTableStore;
  const config = new AppConfig(parseEnvironment({ ADMIN_TOKEN: 'acm_dispatcher_spec_0123' }));
  const engine = new RecordingEngine();
  const forwarded: string[] = [];
  const forward = engine.forward.bind(engine);
  engine.forward = (req, res, upstream) => (
    forwarded.push(`${upstream.url.host} ${req.url}`),
    forward(req, res, upstream)
  );
  const errors: unknown[] = [];
  const dispatcher = new RequestDispatcher(
    config,
    registry,
    store,
    engine,
    new ExchangeRecorder(config),
    new RequestLimits(config),
  );
  const server = http.createServer((req, res) => dispatcher.handle(req, res));
  let port: number;

  beforeAll(async () => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => void errors.push(message));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const get = (host: string, path: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path, headers: { host, ...headers }, agent: false }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        })
        .on('error', reject);
    });

  it('refuses a target with auth settings (503, never forwarded) and logs it once', async () => {
    const first = await get('app.test', '/private', { authorization: 'Bearer good' });
    const second = await get('app.test', '/private');
    expect([first.status, first.body, second.status]).toEqual([
      503,
      '503 Service Unavailable: app.test needs authentication, which this server cannot check\n',
      503,
    ]);
    expect(forwarded).toEqual([]);
    expect(errors).toEqual([
      'no auth policy is provided (TARGET_AUTH_POLICY): requests to targets with auth settings are refused with 503',
    ]);
  });

  it('still forwards a target without auth settings', async () => {
    const res = await get('open.test', '/page');
    expect(res.status).toBe(200);
    expect(forwarded).toEqual(['10.0.0.1:8080 /page']);
  });
});
