import { spawn } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { join } from 'node:path';
import { ServerProcess } from '../support/server-process';
import { waitFor } from '../support/wait';

const ROOT = join(__dirname, '..', '..');
const JUST = join(ROOT, 'node_modules', '.bin', 'just');

/** The original system's recipe names (original-system.md) whose APIs exist here. */
const ORIGINAL_RECIPES = [
  ...[
    'help',
    'up',
    'down',
    'restart',
    'rebuild',
    'logs',
    'health',
    'shell',
    'redis-cli',
    'test',
    'test-all',
    'generate-admin-token',
  ],
  ...['token-admin', 'token-generate', 'token-list', 'token-show', 'token-delete', 'token-email'],
  ...[
    'cert-create',
    'cert-create-multi',
    'cert-list',
    'cert-show',
    'cert-delete',
    'cert-renew',
    'cert-convert-to-production',
  ],
  ...[
    'proxy-create',
    'proxy-list',
    'proxy-show',
    'proxy-delete',
    'proxy-cert-attach',
    'proxy-routes-show',
    'proxy-routes-mode',
    'proxy-routes-enable',
    'proxy-routes-disable',
  ],
  ...[
    'proxy-auth-enable',
    'proxy-auth-disable',
    'proxy-auth-config',
    'proxy-auth-show',
    'proxy-resource-set',
    'proxy-resource-show',
    'proxy-resource-clear',
    'proxy-resource-list',
  ],
  ...[
    'resource-register',
    'resource-list',
    'resource-show',
    'resource-delete',
    'resource-validate',
    'resource-discover',
  ],
  ...['route-create', 'route-create-global', 'route-create-proxy', 'route-list', 'route-show', 'route-delete'],
  ...['instance-register', 'instance-list', 'instance-show', 'instance-delete'],
  ...[
    'service-create',
    'service-list',
    'service-show',
    'service-delete',
    'service-start',
    'service-stop',
    'service-restart',
    'service-logs',
    'service-stats',
  ],
  ...[
    'service-proxy-create',
    'service-cleanup',
    'service-port-add',
    'service-port-remove',
    'service-port-list',
    'service-port-check',
  ],
  ...[
    'oauth-client-register',
    'oauth-clients-list',
    'oauth-sessions-list',
    'oauth-token-list',
    'oauth-metrics',
    'oauth-key-generate',
  ],
  ...[
    'logs-ip',
    'logs-host',
    'logs-proxy',
    'logs-client',
    'logs-errors',
    'logs-follow',
    'logs-oauth',
    'logs-oauth-flow',
    'logs-search',
    'logs-stats',
    'logs-clear',
  ],
  ...['stats', 'cleanup-orphaned'],
];

/** Recipes of this system's own APIs (not in the original). */
const OWN_RECIPES = [
  'mcp-echo-setup',
  'mcp-echo-stop',
  'workflow-events',
  'workflow-dead-letters',
  'workflow-retry',
  'workflow-discard',
  'resource-policy-show',
  'resource-policy-set',
  'resource-policy-clear',
  'rate-limits',
  'target-rate-limits-show',
  'target-rate-limits-set',
  'target-rate-limits-clear',
  'logs-mcp-activity',
];

function just(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(JUST, ['--justfile', join(ROOT, 'justfile'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

// Each test runs up to a dozen recipes one after another, each a `just` + `node` process start (1-3 s
// on a loaded two-core machine): the default 30 s is a flake, not a bound on anything the product does.
jest.setTimeout(120_000);

/** The justfile's recipes, run by the `just` that npm installed (rust-just), against a real server. */
describe('justfile recipes', () => {
  let server: ServerProcess;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await ServerProcess.start();
    env = { PROXY_API_URL: server.apiUrl, PROXY_API_TOKEN: server.adminToken, ADMIN_TOKEN: server.adminToken };
  });
  afterAll(() => server.stop());

  it("lists the original system's recipe names for every API in place", async () => {
    const list = await just(['--list', '--unsorted'], env);
    expect(list.code).toBe(0);
    const names = list.stdout
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/)[0])
      .filter(Boolean);
    expect(names).toEqual(expect.arrayContaining(ORIGINAL_RECIPES));
    expect(names).toEqual(expect.arrayContaining(OWN_RECIPES));
  });

  it('creates, lists, shows and deletes a token through the recipes', async () => {
    const created = await just(['token-generate', 'just-carol', 'carol@example.test'], env);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^token\s+acm_[A-Za-z0-9_-]{43}$/m);
    const secret = /^token\s+(\S+)$/m.exec(created.stdout)![1];
    // Recipes do not echo their command lines, so tokens given as arguments stay off the terminal.
    expect(created.stderr).toBe('Store the token now: it is never shown again.\n');

    expect((await just(['token-list'], env)).stdout).toMatch(/^just-carol\s+carol@example\.test\s/m);
    expect((await just(['token-show', 'just-carol'], env)).stdout).toMatch(/^name\s+just-carol$/m);

    // The token as a last argument, as in the original system's recipes.
    const email = await just(['token-email', 'new@example.test', secret], { PROXY_API_URL: server.apiUrl });
    expect(email.stdout).toMatch(/^cert_email\s+new@example\.test$/m);
    const admin = await just(['token-admin'], env);
    expect(admin.stdout).toMatch(/^is_admin\s+true$/m);

    expect((await just(['token-delete', 'just-carol'], env)).code).toBe(0);
    expect((await server.api('GET', '/api/v1/tokens/just-carol')).status).toBe(404);
    const again = await just(['token-delete', 'just-carol'], env);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/^error: token "just-carol" not found \(HTTP 404/m);
  });

  it('reports health and generates admin tokens', async () => {
    const health = await just(['health'], { PROXY_API_URL: server.apiUrl });
    expect(health.code).toBe(0);
    expect(health.stdout).toMatch(/^status\s+ok$/m);
    const generated = await just(['generate-admin-token'], {});
    expect(generated.stdout).toMatch(/^acm_[A-Za-z0-9_-]{43}\n$/);
  });

  it('creates, lists and deletes proxy targets, routes and certificates through the recipes', async () => {
    // The original order: hostname, backend, token; options after it.
    const created = await just(
      [
        'proxy-create',
        'just.example.test',
        'http://127.0.0.1:3999',
        server.adminToken,
        '--custom-headers',
        '{"X-Env":"just test"}',
      ],
      { PROXY_API_URL: server.apiUrl },
    );
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^proxy_target\.custom_headers\.X-Env\s+just test$/m);
    expect((await just(['proxy-list'], env)).stdout).toMatch(
      /^just\.example\.test\s+http:\/\/127\.0\.0\.1:3999\s+yes/m,
    );

    const route = await just(
      ['route-create-proxy', '/api/', 'url', 'http://127.0.0.1:4001', 'just.example.test', '', '70'],
      env,
    );
    expect(route.code).toBe(0);
    expect(route.stdout).toMatch(/^scope\s+proxy$/m);
    expect(route.stdout).toMatch(/^priority\s+70$/m);
    const routeId = /^route_id\s+(\S+)$/m.exec(route.stdout)![1];
    expect((await just(['route-list'], env)).stdout).toMatch(
      new RegExp(
        `^${routeId}\\s+70\\s+/api/\\s+ALL\\s+url:http://127\\.0\\.0\\.1:4001\\s+proxy:just\\.example\\.test`,
        'm',
      ),
    );
    expect(
      (await just(['proxy-routes-mode', 'just.example.test', 'selective', '', '--enabled-routes', routeId], env))
        .stdout,
    ).toMatch(new RegExp(`^enabled_routes\\s+${routeId}$`, 'm'));

    const cert = await just(
      ['cert-create', 'just-cert', 'cert.example.test', 'ops@example.test', '', 'https://127.0.0.1:9/directory'],
      env,
    );
    expect(cert.code).toBe(0);
    expect(cert.stdout).toMatch(/^cert_name\s+just-cert$/m);
    const status = await just(['cert-status', 'just-cert', '20'], env);
    expect(status.stdout).toMatch(/^status\s+failed$/m);
    expect((await just(['cert-list'], env)).stdout).toMatch(/^just-cert\s+cert\.example\.test\s+failed\s/m);
    expect((await just(['proxy-cert-attach', 'just.example.test', 'no-such-cert'], env)).stderr).toMatch(
      /^error: .*no-such-cert.* \(HTTP 404/m,
    );

    expect((await just(['route-delete', routeId], env)).code).toBe(0);
    expect((await just(['cert-delete', 'just-cert'], env)).code).toBe(0);
    expect((await just(['proxy-delete', 'just.example.test'], env)).code).toBe(0);
    expect((await server.api('GET', '/api/v1/proxy/targets/just.example.test')).status).toBe(404);
    expect((await server.api('GET', '/api/v1/certificates/just-cert')).status).toBe(404);

    const stats = await just(['stats'], env);
    expect(stats.code).toBe(0);
    expect(stats.stdout).toMatch(/^proxy targets\s+0$/m);
    // Entries of the requests above (the log is written in batches every 100 ms: ask until they are there).
    const search = await waitFor(
      'the requests in the log (value: logs-search output)',
      async () =>
        (await just(['logs-search', '', '1', '5', '--path', '/api/v1/proxy/targets/just.example.test', '--json'], env))
          .stdout,
      (out) => /"total": [1-9]/.test(out),
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(search).toMatch(/"path": "\/api\/v1\/proxy\/targets\/just\.example\.test"/);
  });

  it('protects a proxy target and registers and validates its resource through the recipes', async () => {
    const host = 'mcp.just.example.test';
    expect(
      (
        await server.api('POST', '/api/v1/proxy/targets', {
          body: { hostname: host, target_url: 'http://127.0.0.1:1', enable_https: false },
        })
      ).status,
    ).toBe(201);
    // The original order: hostname, token, auth proxy, mode; options after them.
    const enabled = await just(
      ['proxy-auth-enable', host, '', 'auth.just.example.test', 'forward', '--required-users', 'alice'],
      env,
    );
    expect(enabled.stderr).toBe('');
    expect(enabled.stdout).toMatch(/^auth_proxy\s+auth\.just\.example\.test$/m);
    expect(enabled.stdout).toMatch(/^required_users\s+alice$/m);
    const configured = await just(['proxy-auth-config', host, server.adminToken, '--excluded-paths', '/health'], {
      PROXY_API_URL: server.apiUrl,
    });
    expect(configured.code).toBe(0);
    expect((await server.api('GET', `/api/v1/proxy/targets/${host}/auth`)).body).toMatchObject({
      enabled: true,
      mode: 'forward',
      auth_proxy: 'auth.just.example.test',
      required_users: ['alice'],
      excluded_paths: ['/health'],
    });
    expect((await just(['proxy-auth-show', host], env)).stdout).toMatch(/^excluded_paths\s+\/health$/m);
    const members = await just(['proxy-auth-members', host, 'Acme', 'acme/platform,acme/sre'], env);
    expect([members.code, members.stderr]).toEqual([0, '']);
    expect((await server.api('GET', `/api/v1/proxy/targets/${host}/auth`)).body).toMatchObject({
      required_users: ['alice'],
      required_orgs: ['acme'],
      required_teams: ['acme/platform', 'acme/sre'],
      excluded_paths: ['/health'],
    });

    const set = await just(
      ['proxy-resource-set', host, '', '--endpoint', '/mcp', '--scopes', 'mcp:read', '--json'],
      env,
    );
    expect(set.code).toBe(0);
    const resource = JSON.parse(set.stdout) as { id: string; uri: string };
    expect(resource.uri).toBe(`http://${host}:${server.httpPort}/mcp`);
    expect((await just(['proxy-resource-list'], env)).stdout).toMatch(
      new RegExp(
        `^${resource.id}\\s+http://mcp\\.just\\.example\\.test:${server.httpPort}/mcp\\s+${host.replace(/\./g, '\\.')}\\s+`,
        'm',
      ),
    );

    // The backend is a closed port: the recipe fails and names the reason.
    const validated = await just(['resource-validate', resource.id], env);
    expect(validated.code).toBe(1);
    expect(validated.stderr).toMatch(
      /^error: resource not valid: target down: the backend http:\/\/127\.0\.0\.1:1 did not answer \(connect ECONNREFUSED 127\.0\.0\.1:1\)\nerror: recipe `resource-validate` failed on line \d+ with exit code 1\n$/,
    );

    // Its MCP policy: set (rules as JSON, flags after the token), shown as a table of rules, cleared.
    const rules = JSON.stringify([{ id: 'writes', method: 'tools/call', name: 'write_*', scopes: ['mcp:write'] }]);
    const policy = await just(['resource-policy-set', resource.id, rules, '', '--default', 'deny'], env);
    expect([policy.code, policy.stderr]).toEqual([0, '']);
    expect((await server.api('GET', `/api/v1/resources/${resource.id}/policy`)).body).toEqual({
      default: 'deny',
      rules: JSON.parse(rules) as unknown,
    });
    const shown = (await just(['resource-policy-show', resource.id], env)).stdout;
    expect(shown).toMatch(/^default\s+deny$/m);
    expect(shown).toMatch(/^writes\s+tools\/call\s+write_\*\s+scope mcp:write\s+no\s+-$/m);
    expect((await just(['resource-policy-clear', resource.id], env)).stdout).toMatch(/^deleted\s+true$/m);
    const none = await just(['resource-policy-show', resource.id], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/has no MCP policy: every MCP call is allowed/);

    expect((await just(['proxy-resource-clear', host], env)).stdout).toMatch(/^deleted\s+1$/m);
    expect((await just(['resource-list', '', '--json'], env)).stdout).toBe('[]\n');
    expect((await just(['proxy-auth-disable', host], env)).code).toBe(0);
    expect((await server.api('GET', `/api/v1/proxy/targets/${host}/auth`)).status).toBe(404);
    expect((await server.api('DELETE', `/api/v1/proxy/targets/${host}`)).status).toBe(200);
  });

  it('lists workflow events and dead letters, and relays the 404 of an unknown dead letter', async () => {
    await server.api('POST', '/api/v1/proxy/targets', {
      body: { hostname: 'wf-just.example.test', target_url: 'http://127.0.0.1:3999' },
    });
    // The admin token as the last argument, as in the other recipes.
    const noEnvToken = { PROXY_API_URL: server.apiUrl };
    const events = await just(['workflow-events', '10', 'proxy.created', server.adminToken], noEnvToken);
    expect(events.code).toBe(0);
    expect(events.stdout).toMatch(/^\d+-\d+\s+proxy\.created\s+.*"hostname":"wf-just\.example\.test"/m);
    const letters = await just(['workflow-dead-letters', server.adminToken], noEnvToken);
    expect(letters.code).toBe(0);
    expect(letters.stdout).toMatch(/^total\s+0$/m);
    const retry = await just(['workflow-retry', '1-0'], env);
    expect(retry.code).not.toBe(0);
    expect(retry.stderr).toMatch(/^error: dead letter "1-0" not found \(HTTP 404/m);
    const discard = await just(['workflow-discard', '1-0'], env);
    expect(discard.code).not.toBe(0);
    expect(discard.stderr).toMatch(/^error: dead letter "1-0" not found \(HTTP 404/m);
  });

  it("sets, shows and clears a target's rate limits, and lists the limits in force, through the recipes", async () => {
    const host = 'limits-just.example.test';
    expect(
      (
        await server.api('POST', '/api/v1/proxy/targets', {
          body: { hostname: host, target_url: 'http://127.0.0.1:3999' },
        })
      ).status,
    ).toBe(201);
    const set = await just(['target-rate-limits-set', host, '[{"per":"user","limit":60,"window":"1m"}]'], env);
    expect([set.code, set.stdout]).toEqual([0, 'PER   LIMIT  WINDOW\nuser  60     1m\n']);
    expect((await just(['target-rate-limits-show', host], env)).stdout).toBe('PER   LIMIT  WINDOW\nuser  60     1m\n');
    const all = await just(['rate-limits'], env);
    expect(all.stdout).toMatch(new RegExp(`^target\\s+${host.replace(/\./g, '\\.')}\\s+-\\s+60/1m per user\\s`, 'm'));
    const refused = await just(
      ['target-rate-limits-set', host, '[{"per":"user","limit":60,"window":"1 minute"}]'],
      env,
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/window must be a duration such as "30s"/);
    expect(
      (await just(['target-rate-limits-clear', host, server.adminToken], { PROXY_API_URL: server.apiUrl })).code,
    ).toBe(0);
    expect((await just(['target-rate-limits-show', host], env)).stdout).toBe('(none)\n');
    expect((await server.api('DELETE', `/api/v1/proxy/targets/${host}`)).status).toBe(200);
  });

  it('generates an OAuth signing key the server accepts', async () => {
    const generated = await just(['oauth-key-generate'], {});
    expect(generated.code).toBe(0);
    const pem = Buffer.from(generated.stdout.trim(), 'base64').toString();
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
    expect(createPrivateKey(pem).asymmetricKeyDetails?.modulusLength).toBe(2048);
  });
});
