import { Backend, echoBackend, publicRequest, type Echo } from '../support/loopback';
import { ServerProcess } from '../support/server-process';

interface Route {
  route_id: string;
  priority: number;
  created_seq: number;
  path_pattern: string;
}

/** Path routes and instances through the admin API, checked with real requests on the public listener. */
describe('routes and instances', () => {
  let server: ServerProcess;
  const backends: Record<string, Backend> = {};

  beforeAll(async () => {
    server = await ServerProcess.start();
    for (const name of ['main', 'a', 'b', 'c', 'inst']) backends[name] = await echoBackend(name);
    await server.api('POST', '/api/v1/proxy/targets', {
      body: { hostname: 'site.test', target_url: backends.main.url },
    });
    await server.api('POST', '/api/v1/proxy/targets', {
      body: { hostname: 'other.test', target_url: backends.main.url },
    });
  });
  afterAll(async () => {
    await Promise.all([server.stop(), ...Object.values(backends).map((b) => b.close())]);
  });

  const hit = async (path: string, method = 'GET', host = 'site.test') =>
    (await publicRequest({ port: server.httpPort, host, path, method })).json<Echo>().backend;
  const createRoute = (body: Record<string, unknown>, token?: string) =>
    server.api<Route & { message: string }>('POST', '/api/v1/routes', { body, token });

  it('tries routes by priority, then by creation order, and shows that order', async () => {
    const low = await createRoute({
      path_pattern: '/api/',
      target_type: 'url',
      target_value: backends.a.url,
      priority: 10,
    });
    const firstTie = await createRoute({
      path_pattern: '/api/',
      target_type: 'url',
      target_value: backends.b.url,
      priority: 60,
    });
    const secondTie = await createRoute({
      path_pattern: '/api/',
      target_type: 'url',
      target_value: backends.c.url,
      priority: 60,
    });
    expect([low.status, firstTie.status, secondTie.status]).toEqual([201, 201, 201]);
    expect(secondTie.body.created_seq).toBeGreaterThan(firstTie.body.created_seq);

    expect(await hit('/api/users')).toBe('b');
    expect(await hit('/elsewhere')).toBe('main');

    const list = await server.api<Route[]>('GET', '/api/v1/routes');
    expect(list.body.map((r) => r.route_id)).toEqual([
      firstTie.body.route_id,
      secondTie.body.route_id,
      low.body.route_id,
    ]);

    // Raising the low route's priority moves traffic at once.
    await server.api('PUT', `/api/v1/routes/${low.body.route_id}`, { body: { priority: 99 } });
    expect(await hit('/api/users')).toBe('a');
    for (const r of [low, firstTie, secondTie])
      expect((await server.api('DELETE', `/api/v1/routes/${r.body.route_id}`)).status).toBe(200);
    expect(await hit('/api/users')).toBe('main');
  });

  it('matches regexes against the path and filters by method', async () => {
    const regex = await createRoute({
      path_pattern: '^/items/\\d+$',
      is_regex: true,
      target_type: 'url',
      target_value: backends.a.url,
      methods: ['get'],
    });
    expect(regex.status).toBe(201);
    expect(regex.body).toMatchObject({ is_regex: true, methods: ['GET'] });
    expect(await hit('/items/42')).toBe('a');
    expect(await hit('/items/42?x=1')).toBe('a');
    expect(await hit('/items/abc')).toBe('main');
    expect(await hit('/items/42', 'POST')).toBe('main');
    await server.api('DELETE', `/api/v1/routes/${regex.body.route_id}`);
  });

  it('runs nested-quantifier regexes in linear time (RE2), and refuses malformed or unsupported ones', async () => {
    // Catastrophic on a backtracking engine; RE2 matches it in linear time, so it is accepted (issue 16).
    const nested = await createRoute({
      path_pattern: '^/(a+)+$',
      is_regex: true,
      target_type: 'url',
      target_value: backends.a.url,
    });
    expect(nested.status).toBe(201);
    expect(await hit(`/${'a'.repeat(40)}!`)).toBe('main');
    expect(await hit(`/${'a'.repeat(40)}`)).toBe('a');
    expect((await server.api('DELETE', `/api/v1/routes/${nested.body.route_id}`)).status).toBe(200);
    const backreference = await createRoute({
      path_pattern: '^/(a+)\\1$',
      is_regex: true,
      target_type: 'url',
      target_value: backends.a.url,
    });
    expect([backreference.status, backreference.body.message]).toEqual([
      400,
      'path_pattern uses syntax the linear-time regex engine (RE2) does not support (backreferences, lookahead and lookbehind are not available): invalid escape sequence: `\\1`',
    ]);
    const broken = await createRoute({
      path_pattern: '^/(x',
      is_regex: true,
      target_type: 'url',
      target_value: backends.a.url,
    });
    expect(broken.status).toBe(400);
    expect(broken.body.message).toMatch(/^path_pattern is not a valid regular expression/);
    const badPort = await createRoute({ path_pattern: '/p', target_type: 'port', target_value: '70000' });
    expect([badPort.status, badPort.body.message]).toEqual([
      400,
      'target_value must be a port number 1-65535 when target_type is "port"',
    ]);
    // Nothing was stored.
    expect((await server.api<Route[]>('GET', '/api/v1/routes')).body).toEqual([]);
  });

  it('routes to instances, ports and other targets; scope proxy limits a route to its hostnames', async () => {
    const instance = await server.api('POST', '/api/v1/instances', {
      body: { name: 'backend-api', target_url: backends.inst.url, description: 'Backend API' },
    });
    expect(instance.status).toBe(201);
    const list = await server.api<{ name: string; builtin: boolean }[]>('GET', '/api/v1/instances');
    expect(list.body.map((i) => [i.name, i.builtin])).toEqual([
      ['api', true],
      ['backend-api', false],
    ]);
    const viaInstance = await createRoute({
      path_pattern: '/inst/',
      target_type: 'instance',
      target_value: 'backend-api',
      scope: 'proxy',
      proxy_hostnames: ['site.test'],
    });
    const viaPort = await createRoute({
      path_pattern: '/port/',
      target_type: 'port',
      target_value: String(backends.b.port),
    });
    expect([viaInstance.status, viaPort.status]).toEqual([201, 201]);
    expect(await hit('/inst/x')).toBe('inst');
    expect(await hit('/inst/x', 'GET', 'other.test')).toBe('main');
    expect(await hit('/port/x', 'GET', 'other.test')).toBe('b');

    // The instance's URL changes: the route follows.
    await server.api('PUT', '/api/v1/instances/backend-api', { body: { target_url: backends.c.url } });
    expect(await hit('/inst/x')).toBe('c');

    // A route to a missing instance answers 502 with the reason.
    await server.api('DELETE', '/api/v1/instances/backend-api');
    const missing = await publicRequest({ port: server.httpPort, host: 'site.test', path: '/inst/x' });
    expect([missing.status, missing.text]).toEqual([
      502,
      `502 Bad Gateway: route ${viaInstance.body.route_id} targets instance "backend-api", which is not registered\n`,
    ]);

    // Per-target route mode: none, selective, all with a disabled route.
    const settings = `/api/v1/proxy/targets/other.test/routes`;
    expect((await server.api('PUT', settings, { body: { route_mode: 'none' } })).status).toBe(200);
    expect(await hit('/port/x', 'GET', 'other.test')).toBe('main');
    await server.api('PUT', settings, { body: { route_mode: 'selective', enabled_routes: [viaPort.body.route_id] } });
    expect(await hit('/port/x', 'GET', 'other.test')).toBe('b');
    await server.api('PUT', settings, { body: { route_mode: 'all' } });
    const disabled = await server.api('POST', `${settings}/${viaPort.body.route_id}/disable`);
    expect(disabled.body).toEqual({ route_mode: 'all', enabled_routes: [], disabled_routes: [viaPort.body.route_id] });
    expect(await hit('/port/x', 'GET', 'other.test')).toBe('main');
    expect(await hit('/port/x', 'GET', 'site.test')).toBe('b');
  });

  it('lets a non-admin token steer only its own hostnames', async () => {
    const token = (await server.api<{ token: string }>('POST', '/api/v1/tokens', { body: { name: 'bob' } })).body.token;
    await server.api('POST', '/api/v1/proxy/targets', {
      token,
      body: { hostname: 'bob.test', target_url: backends.main.url },
    });
    const global = await createRoute({ path_pattern: '/x', target_type: 'url', target_value: backends.a.url }, token);
    expect([global.status, global.body.message]).toEqual([
      403,
      'global routes apply to every hostname and need the admin token; use scope "proxy" with your own proxy_hostnames',
    ]);
    const foreign = await createRoute(
      {
        path_pattern: '/x',
        target_type: 'url',
        target_value: backends.a.url,
        scope: 'proxy',
        proxy_hostnames: ['site.test'],
      },
      token,
    );
    expect(foreign.status).toBe(403);
    const own = await createRoute(
      {
        path_pattern: '/x',
        target_type: 'url',
        target_value: backends.a.url,
        scope: 'proxy',
        proxy_hostnames: ['bob.test'],
      },
      token,
    );
    expect(own.status).toBe(201);
    expect(await hit('/x', 'GET', 'bob.test')).toBe('a');
    const removed = await server.api<{ deleted: Record<string, number> }>('DELETE', '/api/v1/tokens/bob');
    expect(removed.body.deleted).toMatchObject({ routes: 1, proxy_targets: 1, instances: 0 });
    expect((await server.api('GET', `/api/v1/routes/${own.body.route_id}`)).status).toBe(404);
  });
});
