import { EXIT, runCli } from './cli';
import { echoSetupSettings } from './mcp-echo-setup';

interface Call {
  method: string;
  path: string;
  body?: Record<string, unknown>;
}

/**
 * An in-memory admin API with the contract `mcp echo-setup` uses (proxy targets from main; target
 * protection, resource metadata and the registry as the protection module defines them). With
 * `protection: false` it answers like a server without that module (Nest's 404 "Cannot POST").
 */
function fakeApi(options: { protection?: boolean } = {}) {
  const calls: Call[] = [];
  const targets = new Map<string, Record<string, unknown>>();
  const resources = new Map<string, Record<string, unknown>>();
  let seq = 0;
  const fetchImpl = (async (input: string | URL, init: RequestInit = {}) => {
    const url = new URL(String(input));
    const method = init.method ?? 'GET';
    const body = init.body ? (JSON.parse(String(init.body)) as Record<string, unknown>) : undefined;
    calls.push({ method, path: url.pathname, body });
    const json = (status: number, value: unknown) =>
      new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } });
    const notFound = () =>
      json(404, { statusCode: 404, error: 'Not Found', message: `Cannot ${method} ${url.pathname}` });
    let m: RegExpMatchArray | null;
    if (url.pathname === '/.well-known/oauth-authorization-server')
      return json(200, { issuer: 'https://auth.example.com' });
    if (url.pathname === '/health') {
      return json(200, {
        status: 'degraded',
        system_certificates: [
          {
            role: 'AUTH_HOSTNAME',
            hostname: 'auth.example.com',
            status: 'failed',
            valid: false,
            expires_at: null,
            error: 'could not reach the ACME server',
          },
        ],
      });
    }
    if (url.pathname === '/api/v1/proxy/targets' && method === 'POST') {
      targets.set(body!.hostname as string, { ...body, enable_https: body!.enable_https ?? true });
      return json(201, { proxy_target: targets.get(body!.hostname as string) });
    }
    if ((m = url.pathname.match(/^\/api\/v1\/proxy\/targets\/([^/]+)$/))) {
      const t = targets.get(m[1]);
      if (!t) return json(404, { statusCode: 404, message: `proxy target "${m[1]}" not found` });
      if (method === 'PUT') Object.assign(t, body);
      return json(200, t);
    }
    if (!options.protection && /\/(auth|resource)$|^\/api\/v1\/resources/.test(url.pathname)) return notFound();
    if ((m = url.pathname.match(/^\/api\/v1\/proxy\/targets\/([^/]+)\/auth$/)))
      return json(200, { hostname: m[1], ...body });
    if ((m = url.pathname.match(/^\/api\/v1\/proxy\/targets\/([^/]+)\/resource$/))) {
      const uri = `https://${m[1]}${body!.endpoint as string}`;
      const existing = [...resources.values()].find((r) => r.uri === uri);
      const record: Record<string, unknown> = {
        ...(existing ?? { id: `res_${++seq}` }),
        uri,
        proxy_target: m[1],
        name: body!.name,
        scopes: body!.scopes,
        metadata_url: `https://${m[1]}/.well-known/oauth-protected-resource/mcp`,
      };
      resources.set(record.id as string, record);
      return json(200, record);
    }
    if (url.pathname === '/api/v1/resources' && method === 'GET') return json(200, [...resources.values()]);
    if (url.pathname === '/api/v1/resources' && method === 'POST') {
      if ([...resources.values()].some((r) => r.uri === body!.uri)) return json(409, { message: 'registered already' });
      const record = { id: `res_${++seq}`, ...body };
      resources.set(record.id, record);
      return json(201, record);
    }
    if ((m = url.pathname.match(/^\/api\/v1\/resources\/([^/]+)$/)) && method === 'PUT') {
      const r = resources.get(m[1]);
      if (!r) return json(404, { message: 'no such resource' });
      Object.assign(r, body);
      return json(200, r);
    }
    return notFound();
  }) as typeof fetch;
  return { calls, targets, resources, fetchImpl };
}

async function run(argv: string[], api: ReturnType<typeof fakeApi>, env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(
    ['mcp', 'echo-setup', '--no-start', ...argv],
    { PROXY_API_TOKEN: 'acm_t', PROXY_API_URL: 'http://api.test', ...env },
    {
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
      fetch: api.fetchImpl,
    },
  );
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const steps = (calls: Call[]) => calls.map((c) => `${c.method} ${c.path}`);

describe('proxyctl mcp echo-setup (against an in-memory API)', () => {
  it('creates targets, protection, metadata and registry entries, then prints URLs and client configuration', async () => {
    const api = fakeApi({ protection: true });
    const result = await run(['--base-domain', 'example.com', '--users', 'alice,bob'], api);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(EXIT.ok);
    expect(steps(api.calls)).toEqual([
      'GET /.well-known/oauth-authorization-server',
      ...['stateless', 'stateful'].flatMap((m) => [
        `GET /api/v1/proxy/targets/echo-${m}.example.com`,
        'POST /api/v1/proxy/targets',
        `POST /api/v1/proxy/targets/echo-${m}.example.com/auth`,
        `POST /api/v1/proxy/targets/echo-${m}.example.com/resource`,
        'GET /api/v1/resources',
        `PUT /api/v1/resources/res_${m === 'stateless' ? 1 : 2}`,
      ]),
      'GET /health',
    ]);
    expect(result.stdout).toContain(
      '✓ auth hostname certificate (auth.example.com): failed, not valid yet (could not reach the ACME server)',
    );
    expect(api.calls[2].body).toEqual({ hostname: 'echo-stateless.example.com', target_url: 'http://127.0.0.1:3101' });
    expect(api.calls[3].body).toEqual({
      enabled: true,
      auth_proxy: 'auth.example.com',
      mode: 'forward',
      required_users: ['alice', 'bob'],
      allowed_scopes: ['mcp:read', 'mcp:write'],
      pass_headers: true,
      header_prefix: 'X-Auth-',
    });
    expect(api.calls[4].body).toMatchObject({ endpoint: '/mcp', scopes: ['mcp:read', 'mcp:write'] });
    expect(result.stdout).toContain('✓ echo server (stateful): using http://127.0.0.1:3102 (not started here)');
    expect(result.stdout).toContain('✓ auth hostname: https://auth.example.com\n');
    expect(result.stdout).toContain(
      '  stateless  https://echo-stateless.example.com/mcp\n  stateful   https://echo-stateful.example.com/mcp\n',
    );
    expect(result.stdout).toContain('GitHub OAuth app callback URL: https://auth.example.com/callback');
    expect(result.stdout).toContain(
      '  claude mcp add --transport http echo-stateful https://echo-stateful.example.com/mcp\n',
    );
    expect(result.stdout).toContain(
      '"args": [\n          "-y",\n          "mcp-remote",\n          "https://echo-stateless.example.com/mcp"',
    );
    expect(result.stdout).toContain('npx @modelcontextprotocol/inspector');
  });

  it('is idempotent: a second run updates instead of failing, and follows a changed port', async () => {
    const api = fakeApi({ protection: true });
    expect((await run(['--base-domain', 'example.com'], api)).code).toBe(0);
    api.calls.length = 0;
    const again = await run(['--base-domain', 'example.com', '--stateful-port', '4102', '--json'], api);
    expect(again.code).toBe(0);
    expect(
      steps(api.calls).filter(
        (s) => s.startsWith('POST /api/v1/proxy/targets') && !s.includes('/auth') && !s.includes('/resource'),
      ),
    ).toEqual([]);
    expect(steps(api.calls)).toContain('PUT /api/v1/proxy/targets/echo-stateful.example.com');
    expect(api.targets.get('echo-stateful.example.com')).toMatchObject({ target_url: 'http://127.0.0.1:4102' });
    expect(api.resources.size).toBe(2);
    const json = JSON.parse(again.stdout) as {
      issuer: string;
      servers: { mode: string; url: string; backend: string; resource_id: string }[];
    };
    expect(json.issuer).toBe('https://auth.example.com');
    expect(json.servers.map((s) => [s.mode, s.url, s.backend, s.resource_id])).toEqual([
      ['stateless', 'https://echo-stateless.example.com/mcp', 'http://127.0.0.1:3101', 'res_1'],
      ['stateful', 'https://echo-stateful.example.com/mcp', 'http://127.0.0.1:4102', 'res_2'],
    ]);
  });

  it('names the failing step (a server without target protection)', async () => {
    const api = fakeApi({ protection: false });
    const result = await run([], api, { BASE_DOMAIN: 'example.com' });
    expect(result.code).toBe(EXIT.apiError);
    expect(result.stderr).toBe(
      'error: step "protection of echo-stateless.example.com" failed: POST /api/v1/proxy/targets/echo-stateless.example.com/auth: ' +
        'Cannot POST /api/v1/proxy/targets/echo-stateless.example.com/auth (HTTP 404) — this server does not have that API (is it the version with proxy target protection?)\n' +
        'Nothing is undone: fix the cause and run the command again (every step is idempotent).\n',
    );
    expect(result.stdout).toContain('✓ proxy target echo-stateless.example.com → http://127.0.0.1:3101: created');
  });

  it('exits 3 naming the step when the API cannot be reached', async () => {
    const unreachable = {
      ...fakeApi(),
      fetchImpl: (async () =>
        Promise.reject(
          Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }),
        )) as typeof fetch,
    };
    const result = await run(['--base-domain', 'example.com'], unreachable);
    expect(result.code).toBe(EXIT.unreachable);
    expect(result.stderr).toContain(
      'error: step "authorization server metadata" failed: cannot reach the API at http://api.test (ECONNREFUSED)',
    );
  });

  it.each([
    [{}, {}, 'no base domain: pass --base-domain example.com or set BASE_DOMAIN'],
    [{ base_domain: 'not a domain' }, {}, '--base-domain must be a DNS name such as example.com (got "not a domain")'],
    [{ base_domain: 'example.com', stateless_port: 70000 }, {}, '--stateless-port must be a port number (1-65535)'],
    [
      { base_domain: 'example.com', stateless_port: 4000, stateful_port: 4000 },
      {},
      '--stateless-port and --stateful-port must differ',
    ],
    [{ base_domain: 'example.com', stateful_url: 'http://h:1/mcp' }, {}, "--stateful-url must be the server's origin"],
    [{ base_domain: 'example.com', users: [] }, {}, '--users needs at least one GitHub login'],
    [{ base_domain: 'example.com', prefix: 'a.b' }, {}, '--prefix must be one DNS label'],
  ])('refuses %j', (values, env, message) => {
    const settings = echoSetupSettings(values, env);
    expect(typeof settings).toBe('string');
    expect(settings).toContain(message);
  });

  it('takes the domain and auth hostname from the environment, flags first', () => {
    expect(echoSetupSettings({}, { BASE_DOMAIN: 'Example.COM' })).toMatchObject({
      baseDomain: 'example.com',
      authHostname: 'auth.example.com',
      ports: { stateless: 3101, stateful: 3102 },
      users: ['*'],
      start: true,
    });
    expect(
      echoSetupSettings(
        { auth_hostname: 'login.example.org' },
        { BASE_DOMAIN: 'example.com', AUTH_HOSTNAME: 'a.example.com' },
      ),
    ).toMatchObject({ authHostname: 'login.example.org' });
    expect(echoSetupSettings({ stateless_url: 'http://10.0.0.5:3101/' }, { BASE_DOMAIN: 'example.com' })).toMatchObject(
      { backendUrls: { stateless: 'http://10.0.0.5:3101' } },
    );
  });

  it('exits 2 with usage for a bad option value and shows the calls in --help', async () => {
    const result = await run(['--base-domain', 'bad domain'], fakeApi());
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toBe(
      'proxyctl: --base-domain must be a DNS name such as example.com (got "bad domain")\nRun "proxyctl mcp echo-setup --help" for usage.\n',
    );
    const help = await run(['--help'], fakeApi());
    expect(help.stdout).toContain('API: several: GET /.well-known/oauth-authorization-server;');
    expect(help.stdout).toContain('  --stateless-port <n>');
  });
});
