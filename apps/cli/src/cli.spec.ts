import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from './argv';
import type { ResourceSpec } from './command-spec';
import { EXIT, planCommand, runCli } from './cli';
import { COMMANDS } from './commands';

/** A resource declared only in the test: proves that a new resource needs nothing but its table entry. */
const TABLE: ResourceSpec[] = [
  {
    resource: 'route',
    aliases: ['routes'],
    summary: 'Path routes',
    verbs: [
      {
        verb: 'create',
        summary: 'Create a route',
        method: 'POST',
        path: '/api/v1/routes',
        args: [{ name: 'path_pattern', in: 'body', description: 'path' }],
        options: [
          { flag: 'priority', type: 'integer', description: 'priority' },
          { flag: 'methods', type: 'list', description: 'methods' },
          { flag: 'enabled', type: 'boolean', description: 'enabled' },
          { flag: 'headers', type: 'json', description: 'headers' },
          { flag: 'target-type', type: 'string', required: true, description: 'target type' },
        ],
      },
      {
        verb: 'list',
        summary: 'List',
        method: 'GET',
        path: '/api/v1/routes',
        options: [{ flag: 'scope', type: 'string', description: 'scope' }],
      },
      {
        verb: 'delete',
        summary: 'Delete',
        method: 'DELETE',
        path: '/api/v1/routes/{id}',
        args: [{ name: 'id', description: 'id' }],
      },
    ],
  },
  {
    resource: 'health',
    summary: 'Health',
    defaultVerb: 'show',
    verbs: [{ verb: 'show', summary: 'Show', method: 'GET', path: '/health', public: true }],
  },
];
const ENV = { PROXY_API_TOKEN: 'acm_env_token' };

function request(argv: string[], env: Record<string, string | undefined> = ENV) {
  const plan = planCommand(argv, env, TABLE);
  if (plan.kind !== 'request') throw new Error('expected a request');
  return plan.request;
}

describe('planCommand', () => {
  it('builds the body from arguments and typed options', () => {
    const r = request([
      'route',
      'create',
      '/api/',
      '--target-type',
      'port',
      '--priority',
      '60',
      '--methods',
      'GET,POST',
      '--methods',
      'PUT',
      '--enabled',
      '--headers',
      '{"X-A":"1"}',
    ]);
    expect({ method: r.verb.method, path: r.path, body: r.body }).toEqual({
      method: 'POST',
      path: '/api/v1/routes',
      body: {
        path_pattern: '/api/',
        target_type: 'port',
        priority: 60,
        methods: ['GET', 'POST', 'PUT'],
        enabled: true,
        headers: { 'X-A': '1' },
      },
    });
  });

  it('puts GET options in the query and encodes path arguments', () => {
    expect(request(['routes', 'list', '--scope', 'global']).query).toEqual({ scope: 'global' });
    expect(request(['route', 'delete', 'a/b c']).path).toBe('/api/v1/routes/a%2Fb%20c');
  });

  it('takes URL and token from flags, then PROXY_API_*, then ADMIN_TOKEN', () => {
    expect(request(['route', 'list'], { ADMIN_TOKEN: 'acm_admin' })).toMatchObject({
      url: 'http://127.0.0.1:9000',
      token: 'acm_admin',
    });
    expect(
      request(['route', 'list'], { ADMIN_TOKEN: 'acm_admin', PROXY_API_TOKEN: 'acm_p', PROXY_API_URL: 'http://h:1' }),
    ).toMatchObject({ url: 'http://h:1', token: 'acm_p' });
    expect(
      request(['route', 'list', '--token', 'acm_f', '--url', 'https://x'], { PROXY_API_TOKEN: 'acm_p' }),
    ).toMatchObject({ url: 'https://x', token: 'acm_f' });
    expect(
      request(['route', 'list'], { PROXY_API_URL: '', PROXY_API_TOKEN: '', ADMIN_TOKEN: 'acm_admin' }),
    ).toMatchObject({ url: 'http://127.0.0.1:9000', token: 'acm_admin' });
    expect(() => request(['route', 'list'], {})).toThrow(
      'no API token: set PROXY_API_TOKEN (or ADMIN_TOKEN) or pass --token',
    );
    expect(request(['health'], {})).toMatchObject({ path: '/health', token: undefined });
  });

  it.each([
    [['nope'], 'unknown command "nope"; resources: route, health'],
    [['route'], 'missing verb for "route"; verbs: create, list, delete'],
    [['route', 'fly'], 'unknown verb "fly" for "route"; verbs: create, list, delete'],
    [['route', 'delete'], 'missing <id>; usage: proxyctl route delete <id>'],
    [['route', 'delete', 'a', 'b'], 'unexpected argument "b"; usage: proxyctl route delete <id>'],
    [['route', 'list', '--colour', 'red'], 'unknown option --colour for "route list"; see --help'],
    [['route', 'create', '/x'], '--target-type is required; usage: proxyctl route create <path_pattern> [options]'],
    [
      ['route', 'create', '/x', '--target-type', 'port', '--priority', 'high'],
      '--priority must be a whole number (got "high")',
    ],
    [
      ['route', 'create', '/x', '--target-type', 'port', '--headers', '{bad'],
      `--headers must be JSON, e.g. '{"X-Header":"value"}' (got {bad)`,
    ],
    [['route', 'list', '--url', 'ftp://x'], 'the API URL must start with http:// or https:// (got "ftp://x")'],
  ])('refuses %j with a usage error', (argv, message) => {
    expect(() => planCommand(argv, ENV, TABLE)).toThrow(new UsageError(message));
  });

  it('answers --help at every level', () => {
    const help = (argv: string[]) => {
      const plan = planCommand(argv, {}, TABLE);
      return plan.kind === 'help' ? plan.text : '';
    };
    expect(help(['--help'])).toContain('  route create                Create a route');
    expect(help(['route', '--help'])).toContain('proxyctl route delete <id>');
    expect(help(['route', 'create', '-h'])).toContain('  --priority <n>              priority');
  });
});

describe('runCli', () => {
  it('exits 2 with a short message for usage errors and 0 for help', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) };
    expect(await runCli(['token', 'fly'], ENV, io)).toBe(EXIT.usage);
    expect(err.join('')).toBe(
      'proxyctl: unknown verb "fly" for "token"; verbs: create, list, show, delete, rotate, me, email\nRun "proxyctl --help" for usage.\n',
    );
    expect(await runCli(['--help'], {}, io)).toBe(EXIT.ok);
    expect(out.join('')).toContain(
      'Exit codes: 0 ok, 1 the API answered an error (4xx/5xx), 2 usage error, 3 cannot reach the API.',
    );
  });

  it('exits 3 when nothing listens at the API URL', async () => {
    // A port that was just free: bind it, note it, close it; nothing listens there now.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const err: string[] = [];
    const code = await runCli(
      ['health', '--url', `http://127.0.0.1:${port}`],
      {},
      { stdout: () => undefined, stderr: (t) => err.push(t) },
    );
    expect(code).toBe(EXIT.unreachable);
    expect(err.join('')).toBe(
      `error: cannot reach the API at http://127.0.0.1:${port} (ECONNREFUSED); is the server running? Set PROXY_API_URL or --url\n`,
    );
  });
});

describe('the real command table', () => {
  const real = (argv: string[], env: Record<string, string | undefined> = ENV) => {
    const plan = planCommand(argv, env);
    if (plan.kind !== 'request') throw new Error('expected a request');
    return plan.request;
  };

  it('adds fixed body fields and query parameters, and converts numbers', () => {
    expect(real(['route', 'create-global', '/a/', 'port', '4000', '--priority', '70']).body).toEqual({
      scope: 'global',
      path_pattern: '/a/',
      target_type: 'port',
      target_value: '4000',
      priority: 70,
    });
    expect(real(['service', 'logs-follow', 'web', '--tail', '5']).query).toEqual({ follow: 'true', tail: '5' });
    expect(real(['service', 'create', 'web', 'img:1', '--cpu-limit', '0.5']).body).toMatchObject({ cpu_limit: 0.5 });
    expect(() => real(['service', 'create', 'web', 'img:1', '--cpu-limit', 'half'])).toThrow(
      new UsageError('--cpu-limit must be a number (got "half")'),
    );
    expect(real(['cert', 'renew', 'c1', '--force'])).toMatchObject({
      path: '/api/v1/certificates/c1/renew',
      query: { force: 'true' },
      body: {},
    });
    expect(real(['proxy', 'delete', 'a.example.test', '--delete-certificate'])).toMatchObject({
      query: { delete_certificate: 'true' },
      body: undefined,
    });
  });

  it('sends a JSON argument as the whole body (inline or @file), under the target alias', () => {
    const limits = [{ per: 'user', limit: 60, window: '1m' }];
    expect(real(['target', 'rate-limits-set', 'a.example.test', JSON.stringify(limits)])).toMatchObject({
      verb: { method: 'PUT' },
      path: '/api/v1/proxy/targets/a.example.test/rate-limits',
      body: limits,
    });
    const dir = mkdtempSync(join(tmpdir(), 'proxyctl-'));
    writeFileSync(join(dir, 'limits.json'), JSON.stringify(limits));
    expect(real(['proxy', 'rate-limits-set', 'a.example.test', `@${join(dir, 'limits.json')}`]).body).toEqual(limits);
    expect(() => real(['target', 'rate-limits-set', 'a.example.test', '60/1m'])).toThrow(
      new UsageError('<limits> must be JSON, e.g. \'[{"per":"user","limit":60,"window":"1m"}]\' (got 60/1m)'),
    );
    expect(() => real(['target', 'rate-limits-set', 'a.example.test', `@${join(dir, 'missing.json')}`])).toThrow(
      new UsageError(`<limits> @${join(dir, 'missing.json')}: cannot read the file (ENOENT)`),
    );
    expect(real(['targets', 'rate-limits-clear', 'a.example.test'])).toMatchObject({
      verb: { method: 'DELETE' },
      body: undefined,
    });
    expect(real(['rate-limits'])).toMatchObject({ path: '/api/v1/rate-limits' });
  });

  it('sends METRICS_TOKEN to /metrics when set, and needs no token there', () => {
    expect(real(['metrics'], { PROXY_API_TOKEN: 'acm_p', METRICS_TOKEN: 'm' })).toMatchObject({
      path: '/metrics',
      token: 'm',
    });
    expect(real(['metrics'], {})).toMatchObject({ path: '/metrics', token: undefined });
  });

  it('has a unique verb list per resource and a placeholder argument for every path parameter', () => {
    for (const r of COMMANDS) {
      expect(new Set(r.verbs.map((v) => v.verb)).size).toBe(r.verbs.length);
      for (const v of r.verbs) {
        if (v.handler) continue; // multi-step verbs have no single path
        const placeholders = [...v.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
        expect(placeholders).toEqual((v.args ?? []).filter((a) => (a.in ?? 'path') === 'path').map((a) => a.name));
      }
    }
  });
});

describe('runCli with a streaming verb', () => {
  const sse = (chunks: string[]): typeof fetch =>
    (async () =>
      new Response(
        new ReadableStream({
          start(controller) {
            for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
            controller.close();
          },
        }),
        { status: 200, headers: { 'content-type': 'text/event-stream' } },
      )) as typeof fetch;

  it('prints each event as a line of columns, or its JSON with --json, across chunk boundaries', async () => {
    const entry = {
      ts: 0,
      listener: 'https',
      client_ip: '10.0.0.1',
      host: 'a.test',
      method: 'GET',
      path: '/x',
      status: 200,
      duration_ms: 3,
    };
    const chunks = [
      ': keep-alive\n\n',
      `event: entry\nid: 1-0\ndata: ${JSON.stringify(entry).slice(0, 20)}`,
      `${JSON.stringify(entry).slice(20)}\n\n`,
    ];
    const out: string[] = [];
    expect(
      await runCli(['logs', 'follow'], ENV, {
        stdout: (t) => out.push(t),
        stderr: () => undefined,
        fetch: sse(chunks),
      }),
    ).toBe(EXIT.ok);
    expect(out.join('')).toBe(
      // the MCP method, name, decision and rule columns are '-' for a request that was not an inspected MCP call
      '1970-01-01T00:00:00.000Z  https  10.0.0.1  a.test  GET  /x  200  3  -  -  -  -  -  -  -\n',
    );
    const json: string[] = [];
    await runCli(['logs', 'follow', '--json'], ENV, {
      stdout: (t) => json.push(t),
      stderr: () => undefined,
      fetch: sse(chunks),
    });
    expect(JSON.parse(json.join(''))).toEqual(entry);
  });

  it("reports the API's refusal of a stream like any other error", async () => {
    const refuse = (async () =>
      new Response(JSON.stringify({ statusCode: 403, message: 'not your host' }), { status: 403 })) as typeof fetch;
    const err: string[] = [];
    expect(
      await runCli(['logs', 'follow', '--hostname', 'x.test'], ENV, {
        stdout: () => undefined,
        stderr: (t) => err.push(t),
        fetch: refuse,
      }),
    ).toBe(EXIT.apiError);
    expect(err.join('')).toBe('error: not your host (HTTP 403)\n');
  });
});

describe('runCli with a verb whose answer can report a failure (failWhen)', () => {
  const answer = (body: unknown): typeof fetch =>
    (async () =>
      new Response(JSON.stringify(body), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      })) as typeof fetch;
  const run = async (body: unknown, ...extra: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(['resource', 'validate', 'res_1', ...extra], ENV, {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      fetch: answer(body),
    });
    return { code, stdout, stderr };
  };
  const checks = [{ check: 'target_exists', ok: true, detail: 'exists' }];

  it('prints the answer, then exits 1 with the reason when the resource is not valid', async () => {
    const invalid = await run({
      id: 'res_1',
      uri: 'https://m.test/mcp',
      valid: false,
      reason: 'target down: refused',
      checks: [...checks, { check: 'target_reachable', ok: false, detail: 'target down: refused' }],
    });
    expect(invalid.code).toBe(EXIT.apiError);
    expect(invalid.stdout).toMatch(/^target_reachable\s+no\s+target down: refused$/m);
    expect(invalid.stderr).toBe('error: resource not valid: target down: refused\n');
    const asJson = await run({ id: 'res_1', valid: false, reason: 'x', checks }, '--json');
    expect([asJson.code, JSON.parse(asJson.stdout).reason]).toEqual([EXIT.apiError, 'x']);
  });

  it('exits 0 when it is valid', async () => {
    const valid = await run({ id: 'res_1', uri: 'https://m.test/mcp', valid: true, reason: null, checks });
    expect([valid.code, valid.stderr]).toEqual([EXIT.ok, '']);
    expect(valid.stdout).toMatch(/^valid\s+true$/m);
  });
});

describe('proxyctl logs mcp as text', () => {
  const bucket = { calls: 0, decisions: { allowed: 0, 'denied-scope': 0, 'denied-identity': 0, 'rate-limited': 0 } };
  const answer = {
    window: '1h',
    since: '2026-12-06T20:00:00.000Z',
    until: '2026-12-06T21:00:00.000Z',
    bucket_seconds: 60,
    truncated: false,
    calls: 5,
    decisions: { allowed: 2, 'denied-scope': 0, 'denied-identity': 1, 'rate-limited': 2 },
    buckets: [{ start: '2026-12-06T20:00:00.000Z', ...bucket }],
    tools: [
      { name: 'echo', calls: 4, decisions: { allowed: 2, 'denied-scope': 0, 'denied-identity': 0, 'rate-limited': 2 } },
    ],
    users: [{ user: null, calls: 1, decisions: { ...bucket.decisions, 'denied-identity': 1 } }],
    denied_rules: [],
  };

  it('prints the totals per decision, then the tools, users and rules with a column per decision', async () => {
    let stdout = '';
    const code = await runCli(['logs', 'mcp', '--window', '1h'], ENV, {
      stdout: (t) => (stdout += t),
      stderr: () => undefined,
      fetch: (async () =>
        new Response(JSON.stringify(answer), { headers: { 'content-type': 'application/json' } })) as typeof fetch,
    });
    expect(code).toBe(EXIT.ok);
    expect(stdout).toMatch(/^calls\s+5$/m);
    expect(stdout).toMatch(/^rate-limited\s+2$/m);
    expect(stdout).toMatch(/^TOOL\s+CALLS\s+ALLOWED\s+DENIED-SCOPE\s+DENIED-IDENTITY\s+RATE-LIMITED$/m);
    expect(stdout).toMatch(/^echo\s+4\s+2\s+0\s+0\s+2$/m);
    expect(stdout).toMatch(/^\(not identified\)\s+1\s+0\s+0\s+1\s+0$/m);
    expect(stdout).toMatch(/^Rules that denied most\n\(none\)$/m);
  });
});
