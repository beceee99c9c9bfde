import { createServer, type AddressInfo } from 'node:net';
import { UsageError } from './argv';
import type { ResourceSpec } from './command-spec';
import { EXIT, planCommand, runCli } from './cli';

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
      { verb: 'list', summary: 'List', method: 'GET', path: '/api/v1/routes', options: [{ flag: 'scope', type: 'string', description: 'scope' }] },
      { verb: 'delete', summary: 'Delete', method: 'DELETE', path: '/api/v1/routes/{id}', args: [{ name: 'id', description: 'id' }] },
    ],
  },
  { resource: 'health', summary: 'Health', defaultVerb: 'show', verbs: [{ verb: 'show', summary: 'Show', method: 'GET', path: '/health', public: true }] },
];
const ENV = { PROXY_API_TOKEN: 'acm_env_token' };

function request(argv: string[], env: Record<string, string | undefined> = ENV) {
  const plan = planCommand(argv, env, TABLE);
  if (plan.kind !== 'request') throw new Error('expected a request');
  return plan.request;
}

describe('planCommand', () => {
  it('builds the body from arguments and typed options', () => {
    const r = request(['route', 'create', '/api/', '--target-type', 'port', '--priority', '60', '--methods', 'GET,POST', '--methods', 'PUT', '--enabled', '--headers', '{"X-A":"1"}']);
    expect({ method: r.verb.method, path: r.path, body: r.body }).toEqual({
      method: 'POST',
      path: '/api/v1/routes',
      body: { path_pattern: '/api/', target_type: 'port', priority: 60, methods: ['GET', 'POST', 'PUT'], enabled: true, headers: { 'X-A': '1' } },
    });
  });

  it('puts GET options in the query and encodes path arguments', () => {
    expect(request(['routes', 'list', '--scope', 'global']).query).toEqual({ scope: 'global' });
    expect(request(['route', 'delete', 'a/b c']).path).toBe('/api/v1/routes/a%2Fb%20c');
  });

  it('takes URL and token from flags, then PROXY_API_*, then ADMIN_TOKEN', () => {
    expect(request(['route', 'list'], { ADMIN_TOKEN: 'acm_admin' })).toMatchObject({ url: 'http://127.0.0.1:9000', token: 'acm_admin' });
    expect(request(['route', 'list'], { ADMIN_TOKEN: 'acm_admin', PROXY_API_TOKEN: 'acm_p', PROXY_API_URL: 'http://h:1' })).toMatchObject({ url: 'http://h:1', token: 'acm_p' });
    expect(request(['route', 'list', '--token', 'acm_f', '--url', 'https://x'], { PROXY_API_TOKEN: 'acm_p' })).toMatchObject({ url: 'https://x', token: 'acm_f' });
    expect(request(['route', 'list'], { PROXY_API_URL: '', PROXY_API_TOKEN: '', ADMIN_TOKEN: 'acm_admin' })).toMatchObject({ url: 'http://127.0.0.1:9000', token: 'acm_admin' });
    expect(() => request(['route', 'list'], {})).toThrow('no API token: set PROXY_API_TOKEN (or ADMIN_TOKEN) or pass --token');
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
    [['route', 'create', '/x', '--target-type', 'port', '--priority', 'high'], '--priority must be a whole number (got "high")'],
    [['route', 'create', '/x', '--target-type', 'port', '--headers', '{bad'], `--headers must be JSON, e.g. '{"X-Header":"value"}' (got {bad)`],
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
    expect(err.join('')).toBe('proxyctl: unknown verb "fly" for "token"; verbs: create, list, show, delete, rotate, me, email\nRun "proxyctl --help" for usage.\n');
    expect(await runCli(['--help'], {}, io)).toBe(EXIT.ok);
    expect(out.join('')).toContain('Exit codes: 0 ok, 1 the API answered an error (4xx/5xx), 2 usage error, 3 cannot reach the API.');
  });

  it('exits 3 when nothing listens at the API URL', async () => {
    // A port that was just free: bind it, note it, close it; nothing listens there now.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const err: string[] = [];
    const code = await runCli(['health', '--url', `http://127.0.0.1:${port}`], {}, { stdout: () => undefined, stderr: (t) => err.push(t) });
    expect(code).toBe(EXIT.unreachable);
    expect(err.join('')).toBe(`error: cannot reach the API at http://127.0.0.1:${port} (ECONNREFUSED); is the server running? Set PROXY_API_URL or --url\n`);
  });
});
