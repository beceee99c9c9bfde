import { spawn } from 'node:child_process';
import { CLI_MAIN, runCliInProcess, runCliProcess } from '../support/cli-process';
import { ServerProcess } from '../support/server-process';
import { waitFor } from '../support/wait';

/**
 * proxyctl against the real built server for every resource type: create, list (table and
 * --json), show, delete, and the verbs around them. Mostly proxyctl's own code in this process
 * (fast: no node start per command); the built binary runs as a process for the first and the
 * streaming test, and throughout test/operator/cli.e2e-spec.ts. Certificates are ordered from a closed loopback
 * port (AUTO_CERTIFICATES off), so they end `failed`; services run without a Docker Engine (a
 * socket path that does not exist), so the API's 503 is what the CLI must relay.
 */
describe('proxyctl resources against a running server', () => {
  let server: ServerProcess;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCliInProcess(args, env);
  const json = async <T = unknown>(...args: string[]): Promise<T> => {
    const result = await cli(...args, '--json');
    if (result.code !== 0) throw new Error(`proxyctl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  };

  beforeAll(async () => {
    server = await ServerProcess.start({
      env: { DOCKER_SOCKET_PATH: '/nonexistent/docker.sock', DOCKER_IMAGE_ALLOWLIST: 'busybox:latest' },
    });
    env = { PROXY_API_URL: server.apiUrl, PROXY_API_TOKEN: server.adminToken };
  });
  afterAll(() => server.stop());

  it('proxy targets: create with settings, list, show, update, route settings, delete', async () => {
    const created = await runCliProcess(
      [
        'proxy',
        'create',
        'cli.example.test',
        'http://127.0.0.1:3999',
        '--no-enable-http',
        '--custom-headers',
        '{"X-Env":"test"}',
        '--connect-timeout',
        '5',
      ],
      env,
    );
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^proxy_target\.hostname\s+cli\.example\.test$/m);
    expect(created.stdout).toMatch(/^proxy_target\.custom_headers\.X-Env\s+test$/m);

    const list = await runCliProcess(['proxy', 'list'], env);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^HOSTNAME\s+TARGET\s+ENABLED\s+HTTP\s+HTTPS\s+CERTIFICATE\s+ROUTES\s+OWNER$/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^cli\.example\.test\s+http:\/\/127\.0\.0\.1:3999\s+yes\s+no\s+yes\s+-\s+all\s+ADMIN$/),
    ]);
    expect(await json('proxy', 'list')).toEqual([
      expect.objectContaining({ hostname: 'cli.example.test', enable_http: false, connect_timeout: 5 }),
    ]);

    expect(
      await json('proxy', 'update', 'cli.example.test', '--target-url', 'http://127.0.0.1:4000', '--enable-http'),
    ).toMatchObject({ target_url: 'http://127.0.0.1:4000', enable_http: true });
    expect(await json('proxy', 'show', 'cli.example.test')).toMatchObject({
      target_url: 'http://127.0.0.1:4000',
      custom_headers: { 'X-Env': 'test' },
    });

    const route = await json<{ route_id: string }>('route', 'create', '/only/', 'url', 'http://127.0.0.1:4001');
    expect(
      await json('proxy', 'routes-set', 'cli.example.test', 'selective', '--enabled-routes', route.route_id),
    ).toEqual({ route_mode: 'selective', enabled_routes: [route.route_id], disabled_routes: [] });
    expect(await json('proxy', 'route-disable', 'cli.example.test', route.route_id)).toMatchObject({
      route_mode: 'selective',
      enabled_routes: [],
    });
    expect(await json('proxy', 'route-enable', 'cli.example.test', route.route_id)).toMatchObject({
      enabled_routes: [route.route_id],
    });
    expect(await json('proxy', 'routes', 'cli.example.test')).toMatchObject({ route_mode: 'selective' });

    const refused = await cli('proxy', 'create', 'bad host', 'http://127.0.0.1:1');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: hostname "bad host" is not a DNS name: .* \(HTTP 400, request [\w-]+\)\n$/);
    const badJson = await cli('proxy', 'update', 'cli.example.test', '--custom-headers', '{nope');
    expect(badJson.code).toBe(2);

    expect((await cli('proxy', 'delete', 'cli.example.test')).code).toBe(0);
    expect((await server.api('GET', '/api/v1/proxy/targets/cli.example.test')).status).toBe(404);
    expect(await json('proxy', 'list')).toEqual([]);
    expect((await cli('route', 'delete', route.route_id)).code).toBe(0);
  });

  it('routes: global and per-proxy variants, listed highest priority first, update, delete', async () => {
    await json('proxy', 'create', 'r.example.test', 'http://127.0.0.1:3999');
    const low = await json<{ route_id: string; scope: string }>(
      'route',
      'create-global',
      '/low/',
      'port',
      '4002',
      '--priority',
      '10',
    );
    expect(low.scope).toBe('global');
    const high = await json<{ route_id: string; scope: string; proxy_hostnames: string[]; methods: string[] }>(
      'route',
      'create-proxy',
      '/high/',
      'hostname',
      'r.example.test',
      '--proxy-hostnames',
      'r.example.test',
      '--priority',
      '900',
      '--methods',
      'GET,POST',
    );
    expect(high).toMatchObject({ scope: 'proxy', proxy_hostnames: ['r.example.test'], methods: ['GET', 'POST'] });
    const missing = await cli('route', 'create-proxy', '/x/', 'port', '1');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^proxyctl: --proxy-hostnames is required/);

    const table = (await cli('route', 'list')).stdout.trimEnd().split('\n');
    expect(table[0]).toMatch(/^ID\s+PRIORITY\s+PATTERN\s+METHODS\s+TARGET\s+SCOPE\s+ENABLED\s+DESCRIPTION$/);
    expect(table.slice(1).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      [high.route_id, '900', '/high/'],
      [low.route_id, '10', '/low/'],
    ]);
    expect(await json('route', 'update', low.route_id, '--description', 'cheap', '--no-enabled')).toMatchObject({
      description: 'cheap',
      enabled: false,
    });
    expect(await json('route', 'show', low.route_id)).toMatchObject({ enabled: false });
    for (const id of [low.route_id, high.route_id]) expect((await cli('route', 'delete', id)).code).toBe(0);
    expect(await json('route', 'list')).toEqual([]);
    await json('proxy', 'delete', 'r.example.test');
  });

  it('instances: create, list, update, delete (the built-in api stays)', async () => {
    expect(
      await json('instance', 'create', 'backend', 'http://127.0.0.1:4100', '--description', 'the backend'),
    ).toMatchObject({ name: 'backend', description: 'the backend' });
    expect((await cli('instance', 'list')).stdout).toMatch(
      /^backend\s+http:\/\/127\.0\.0\.1:4100\s+no\s+ADMIN\s+the backend$/m,
    );
    expect(await json('instance', 'update', 'backend', '--target-url', 'http://127.0.0.1:4101')).toMatchObject({
      target_url: 'http://127.0.0.1:4101',
    });
    expect((await cli('instance', 'delete', 'backend')).code).toBe(0);
    expect((await json<{ name: string }[]>('instance', 'list')).map((i) => i.name)).toEqual(['api']);
  });

  it('certificates: an order against an unreachable ACME server fails, is listed, and deletes', async () => {
    const created = await json<{ cert_name: string; status: string }>(
      'cert',
      'create',
      'cert.example.test',
      '--email',
      'ops@example.test',
      '--acme-directory-url',
      'https://127.0.0.1:9/directory',
    );
    expect(created).toMatchObject({ cert_name: 'proxy-cert-example-test', status: 'pending' });
    const status = await json<{ status: string; error: string }>(
      'cert',
      'status',
      'proxy-cert-example-test',
      '--wait',
      '20',
    );
    expect(status.status).toBe('failed');
    expect(status.error).toMatch(/^could not reach the ACME server at https:\/\/127\.0\.0\.1:9\/directory/);
    expect((await cli('cert', 'list')).stdout).toMatch(
      /^proxy-cert-example-test\s+cert\.example\.test\s+failed\s+-\s+ADMIN\s+could not reach/m,
    );

    const multi = await json<{ cert_name: string; domains: string[] }>(
      'cert',
      'create-multi',
      'shared',
      '--domains',
      'a.example.test,b.example.test',
      '--acme-directory-url',
      'https://127.0.0.1:9/directory',
      '--email',
      'ops@example.test',
    );
    expect(multi).toMatchObject({ cert_name: 'shared', domains: ['a.example.test', 'b.example.test'] });
    expect((await json<{ cert_name: string }[]>('cert', 'list')).map((c) => c.cert_name).sort()).toEqual([
      'proxy-cert-example-test',
      'shared',
    ]);
    const noDomains = await cli('cert', 'create-multi', 'x', '--acme-directory-url', 'staging');
    expect(noDomains.code).toBe(2);

    for (const name of ['proxy-cert-example-test', 'shared']) expect((await cli('cert', 'delete', name)).code).toBe(0);
    expect(await json('cert', 'list')).toEqual([]);
  });

  it('ports: allocate, list, check, release', async () => {
    const port = await json<{ port: number }>('port', 'allocate', '--description', 'cli test');
    expect(port.port).toBeGreaterThanOrEqual(9000);
    expect((await cli('port', 'list')).stdout).toMatch(
      new RegExp(`^${port.port}\\s+127\\.0\\.0\\.1\\s+tcp\\s+-\\s+-\\s+ADMIN\\s+cli test$`, 'm'),
    );
    expect(await json('port', 'check', String(port.port))).toMatchObject({ port: port.port, available: false });
    expect((await cli('port', 'release', String(port.port))).code).toBe(0);
    expect(await json('port', 'list')).toEqual([]);
  });

  it('services: lists, relays the API error without a Docker Engine, and manages external services', async () => {
    expect(await json('service', 'list')).toEqual([]);
    const create = await cli(
      'service',
      'create',
      'web',
      'busybox:latest',
      '--internal-port',
      '8080',
      '--memory-limit',
      '64m',
    );
    expect(create.code).toBe(1);
    expect(create.stderr).toMatch(
      /^error: Docker Engine unreachable at unix:\/\/\/nonexistent\/docker\.sock: .*\(HTTP 503, request [\w-]+\)\n$/,
    );
    expect(create.stderr).not.toContain('    at ');

    expect(
      await json('service', 'external-create', 'ext', 'http://127.0.0.1:4200', '--description', 'outside'),
    ).toMatchObject({ service_name: 'ext', type: 'external' });
    expect(await json<{ service_name: string }[]>('service', 'external-list')).toEqual(
      expect.arrayContaining([expect.objectContaining({ service_name: 'ext' })]),
    );
    expect((await cli('service', 'external-delete', 'ext')).code).toBe(0);
    const gone = await cli('service', 'show', 'nope');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/not found \(HTTP 404/);
  });

  it('OAuth admin: register, list, show and delete a client; sessions, tokens, metrics', async () => {
    const registered = await cli(
      'oauth-client',
      'register',
      'CLI client',
      '--redirect-uris',
      'https://ci.example.test/callback',
    );
    expect(registered.code).toBe(0);
    expect(registered.stdout).toMatch(/^client_secret\s+\S+$/m);
    expect(registered.stderr).toBe(
      'Store client_secret and registration_access_token now: they are never shown again.\n',
    );
    const clientId = /^client_id\s+(\S+)$/m.exec(registered.stdout)![1];
    expect(await json('oauth-client', 'list')).toEqual([
      expect.objectContaining({ client_id: clientId, kind: 'preregistered', client_name: 'CLI client' }),
    ]);
    expect(await json('oauth-client', 'show', clientId)).toMatchObject({
      redirect_uris: ['https://ci.example.test/callback'],
    });
    expect(await json('oauth-session', 'list', '--client-id', clientId)).toEqual([]);
    expect(await json('oauth-token', 'list', '--user', 'nobody')).toEqual([]);
    expect(await json('oauth', 'metrics')).toMatchObject({ clients: 1, clients_preregistered: 1, sessions: 0 });
    expect((await cli('oauth-session', 'revoke', 'no-such-session')).code).toBe(1);
    expect(await json('oauth-client', 'delete', clientId)).toMatchObject({ client_id: clientId, grants_revoked: 0 });
    expect(await json('oauth-client', 'list')).toEqual([]);
  });

  it('request log: search with filters, stats, errors, clear; metrics as text', async () => {
    await server.api('GET', '/api/v1/proxy/targets/missing.example.test');
    // The log is written in batches (every 100 ms): wait until the entry is there.
    type Found = { total: number; entries: { path: string; status: number }[] };
    const found = await waitFor(
      'the 404 in the request log',
      () => json<Found>('logs', 'search', '--path', '/api/v1/proxy/targets/missing', '--status', '404'),
      (page) => page.total > 0,
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(found.total).toBe(1);
    expect(found.entries).toEqual([
      expect.objectContaining({ path: '/api/v1/proxy/targets/missing.example.test', status: 404, method: 'GET' }),
    ]);
    const table = (await cli('logs', 'errors', '--path', '/api/v1/proxy/targets/missing', '--limit', '5')).stdout;
    expect(table).toMatch(/^total\s+1$/m);
    expect(table).toMatch(
      /^TIME\s+LISTENER\s+IP\s+HOST\s+METHOD\s+PATH\s+STATUS\s+MS\s+USER\s+CLIENT\s+MCP\s+NAME\s+DECISION\s+RULE\s+ERROR$/m,
    );
    expect(table).toMatch(
      /\sapi\s+127\.0\.0\.1\s+127\.0\.0\.1\s+GET\s+\/api\/v1\/proxy\/targets\/missing\.example\.test\s+404\s/,
    );
    const stats = await json<{ hosts: { hostname: string; requests: number }[] }>('logs', 'stats');
    expect(stats.hosts.length).toBeGreaterThan(0);
    const bad = await cli('logs', 'search', '--status', 'nonsense');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: status must be a status code such as 404 or a class such as 4xx/);

    const metrics = await cli('metrics');
    expect(metrics.code).toBe(0);
    expect(metrics.stdout).toMatch(/^# TYPE proxy_requests_total counter$/m);

    expect((await cli('logs', 'clear')).code).toBe(0);
    expect((await json<{ total: number }>('logs', 'search', '--path', '/api/v1/proxy/targets/missing')).total).toBe(0);
  });

  it('workflow: events after a proxy target is created, dead letters, retry and discard of an unknown id', async () => {
    // The routes the verbs call, as the server documents them.
    const doc = (
      await server.api<{ paths: Record<string, Record<string, unknown>> }>('GET', '/openapi.json', { token: null })
    ).body;
    expect(Object.keys(doc.paths['/api/v1/workflow/events'])).toEqual(['get']);
    expect(Object.keys(doc.paths['/api/v1/workflow/dead-letters'])).toEqual(['get']);
    expect(Object.keys(doc.paths['/api/v1/workflow/dead-letters/{id}/retry'])).toEqual(['post']);
    expect(Object.keys(doc.paths['/api/v1/workflow/dead-letters/{id}'])).toEqual(['delete']);

    await json('proxy', 'create', 'wf.example.test', 'http://127.0.0.1:3999');
    type Events = { total: number; events: { id: string; type: string; payload: Record<string, unknown> }[] };
    const events = await waitFor(
      'the proxy.created event of wf.example.test',
      () => json<Events>('workflow', 'events', '--type', 'proxy.created', '--limit', '10'),
      (page) => page.events.some((e) => e.payload.hostname === 'wf.example.test'),
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(events.events).toContainEqual(
      expect.objectContaining({ type: 'proxy.created', payload: { hostname: 'wf.example.test', cert_name: null } }),
    );
    expect(events.events.every((e) => e.type === 'proxy.created')).toBe(true);

    const table = await cli('workflow', 'events', '--type', 'proxy.created');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+TYPE\s+PUBLISHED\s+ORIGIN\s+PAYLOAD$/m);
    expect(table.stdout).toMatch(
      /^\d+-\d+\s+proxy\.created\s+\S+\s+\S+\s+\{"hostname":"wf\.example\.test","cert_name":null\}$/m,
    );
    const badType = await cli('workflow', 'events', '--type', 'Not A Type');
    expect(badType.code).toBe(1);
    expect(badType.stderr).toMatch(
      /^error: type must be an event type such as certificate\.order_requested \(HTTP 400/,
    );

    expect(await json('workflow', 'dead-letters')).toEqual({ dead_letters: [], total: 0 });
    const empty = await cli('workflow', 'dead-letters');
    expect(empty.code).toBe(0);
    expect(empty.stdout).toMatch(/^total\s+0$/m);

    for (const verb of ['retry', 'discard']) {
      const missing = await cli('workflow', verb, '1-0');
      expect(missing.code).toBe(1);
      expect(missing.stdout).toBe('');
      expect(missing.stderr).toMatch(/^error: dead letter "1-0" not found \(HTTP 404, request [\w-]+\)\n$/);
    }
    expect((await cli('proxy', 'delete', 'wf.example.test')).code).toBe(0);
  });

  it('logs follow prints requests as they are answered until Ctrl-C, then exits 0', async () => {
    const child = spawn(process.execPath, [CLI_MAIN, 'logs', 'follow', '--path', '/api/v1/instances', '--json'], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Requests are made until the follower has printed one (it subscribes asynchronously).
    let sent = 0;
    await waitFor(
      'the follower to print a request (value: its stdout)',
      async () => {
        await server.api('GET', `/api/v1/instances/follow-${sent++}`);
        return stdout;
      },
      (printed) => printed.includes('/api/v1/instances/'),
      { timeoutMs: 10_000, intervalMs: 100, details: () => `stderr: ${stderr}` },
    ).catch((error: unknown) => {
      child.kill('SIGKILL');
      throw error;
    });
    await server.api('GET', '/api/v1/tokens');
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
    const entries = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { path: string; status: number });
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries)
      expect(entry).toMatchObject({ path: expect.stringMatching(/^\/api\/v1\/instances\/follow-\d+$/), status: 404 });
  });
});
