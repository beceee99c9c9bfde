import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS } from '../../apps/cli/src/commands';
import { runCliInProcess, runCliProcess } from '../support/cli-process';
import { loopbackFetch } from '../support/loopback-fetch';
import { ServerProcess } from '../support/server-process';

/**
 * proxyctl's target protection (`proxy auth-*`, `proxy resource-*`) and resource registry
 * (`resource ...`) verbs against the real built server: table output, `--json` parseable, the
 * API's validation messages, and `resource validate` naming the first failed check (the target's
 * backend is a closed loopback port, so it is "target down").
 */
describe('proxyctl target protection and resource registry', () => {
  let server: ServerProcess;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCliInProcess(args, env);
  const json = async <T = unknown>(...args: string[]): Promise<T> => {
    const result = await cli(...args, '--json');
    if (result.code !== 0) throw new Error(`proxyctl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  };
  const HOST = 'mcp.cli.example.test';
  const BACKEND = 'http://127.0.0.1:1';

  beforeAll(async () => {
    server = await ServerProcess.start();
    env = { PROXY_API_URL: server.apiUrl, PROXY_API_TOKEN: server.adminToken };
    expect(
      (
        await server.api('POST', '/api/v1/proxy/targets', {
          body: { hostname: HOST, target_url: BACKEND, enable_https: false },
        })
      ).status,
    ).toBe(201);
  });
  afterAll(() => server.stop());

  it("every proxyctl request verb names a route and method of the server's OpenAPI document", async () => {
    const doc = (await (await fetch(`${server.apiUrl}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const paths = new Map<string, Record<string, unknown>>(
      Object.entries(doc.paths).map(([p, m]) => [p.replace(/\{[^}]+\}/g, '{}'), m]),
    );
    const missing: string[] = [];
    for (const r of COMMANDS) {
      for (const v of r.verbs) {
        if (v.handler || v.path === '/health' || v.path === '/metrics') continue;
        if (!paths.get(v.path.replace(/\{[^}]+\}/g, '{}'))?.[v.method.toLowerCase()])
          missing.push(`${r.resource} ${v.verb}: ${v.method} ${v.path}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('proxy auth-set / auth-show / auth-delete', async () => {
    // The built binary once, for the real argv parsing and exit code.
    const set = await runCliProcess(
      [
        'proxy',
        'auth-set',
        HOST,
        '--mode',
        'forward',
        '--required-users',
        'alice,bob',
        '--required-orgs',
        'Acme',
        '--required-teams',
        'acme/platform,globex/sre',
        '--excluded-paths',
        '/health',
        '--no-pass-headers',
        '--header-prefix',
        'X-Who-',
      ],
      env,
    );
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/^enabled\s+true$/m);
    expect(set.stdout).toMatch(/^mode\s+forward$/m);
    expect(set.stdout).toMatch(/^required_users\s+alice,bob$/m);

    expect(await json('proxy', 'auth-show', HOST)).toEqual({
      hostname: HOST,
      enabled: true,
      auth_proxy: expect.any(String),
      mode: 'forward',
      required_users: ['alice', 'bob'],
      required_emails: [],
      required_orgs: ['acme'],
      required_teams: ['acme/platform', 'globex/sre'],
      allowed_scopes: [],
      allowed_audiences: [],
      excluded_paths: ['/health'],
      pass_headers: false,
      header_prefix: 'X-Who-',
      cookie_name: 'proxy_session',
      forward_authorization: false,
      resources: [`http://${HOST}:${server.httpPort}`],
    });
    // The data path applies it: no token, a 401 challenge.
    const challenge = await loopbackFetch(`http://${HOST}:${server.httpPort}/x`);
    expect(challenge.status).toBe(401);

    const bad = await cli('proxy', 'auth-set', HOST, '--mode', 'sideways');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /^error: mode must be one of forward, redirect, passthrough \(HTTP 400, request [\w-]+\)\n$/,
    );
    const badTeam = await cli('proxy', 'auth-config', HOST, '--required-teams', 'acme/platform,acme');
    expect(badTeam.code).toBe(1);
    expect(badTeam.stderr).toMatch(
      /^error: required_teams: "acme" is not a team: write organisation\/team-slug \(the slug from the team's URL\), e\.g\. "acme\/platform" \(HTTP 400/,
    );
    const badOrg = await cli('proxy', 'auth-set', HOST, '--required-orgs', 'acme,-bad,ok');
    expect(badOrg.stderr).toMatch(/^error: required_orgs: "-bad" is not a GitHub organisation login/);
    const missing = await cli('proxy', 'auth-show', 'nope.example.test');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: proxy target "nope\.example\.test" not found \(HTTP 404/);

    // auth-config changes only what it is given (auth-set would reset the rest to defaults).
    const changed = await json(
      'proxy',
      'auth-config',
      HOST,
      '--excluded-paths',
      '/health,/public',
      '--forward-authorization',
    );
    expect(changed).toMatchObject({
      required_users: ['alice', 'bob'],
      pass_headers: false,
      header_prefix: 'X-Who-',
      excluded_paths: ['/health', '/public'],
      forward_authorization: true,
    });
    expect(await json('proxy', 'auth-show', HOST)).toMatchObject({
      required_users: ['alice', 'bob'],
      excluded_paths: ['/health', '/public'],
      forward_authorization: true,
    });
    const badConfig = await cli('proxy', 'auth-config', HOST, '--mode', 'sideways');
    expect(badConfig.code).toBe(1);
    expect(badConfig.stderr).toMatch(/^error: mode must be one of forward, redirect, passthrough \(HTTP 400/);

    expect(await json('proxy', 'auth-delete', HOST)).toEqual({ hostname: HOST, enabled: false });
    const off = await cli('proxy', 'auth-show', HOST);
    const notOn = await cli('proxy', 'auth-config', HOST, '--mode', 'redirect');
    expect(notOn.code).toBe(1);
    expect(notOn.stderr).toMatch(
      new RegExp(
        `\\(HTTP 404, request [\\w-]+\\); turn protection on first: proxyctl proxy auth-set ${HOST.replace(/\./g, '\\.')}\n$`,
      ),
    );
    expect(off.code).toBe(1);
    expect(off.stderr).toMatch(/\(HTTP 404/);
    expect((await loopbackFetch(`http://${HOST}:${server.httpPort}/x`)).status).toBe(502);
  });

  it('proxy resource-set / resource-show / resource-clear', async () => {
    const set = await json<Record<string, unknown>>(
      'proxy',
      'resource-set',
      HOST,
      '--endpoint',
      '/mcp',
      '--scopes',
      'mcp:read,mcp:write',
      '--name',
      'CLI MCP',
      '--resource-documentation',
      'https://docs.example.test/mcp',
    );
    expect(set).toMatchObject({
      uri: `http://${HOST}:${server.httpPort}/mcp`,
      name: 'CLI MCP',
      proxy_target: HOST,
      scopes: ['mcp:read', 'mcp:write'],
      resource_documentation: 'https://docs.example.test/mcp',
      owner: 'ADMIN',
    });

    const table = await cli('proxy', 'resource-show', HOST);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+URI\s+NAME\s+TARGET\s+SCOPES\s+OWNER$/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${String(set.id)}\\s+http://${HOST.replace(/\./g, '\\.')}:${server.httpPort}/mcp\\s+CLI MCP\\s+${HOST.replace(/\./g, '\\.')}\\s+mcp:read,mcp:write\\s+ADMIN$`,
        ),
      ),
    ]);

    const bad = await cli('proxy', 'resource-set', HOST, '--endpoint', 'mcp');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: endpoint must be a path starting with \/, e\.g\. \/mcp \(HTTP 400/);

    expect(await json('proxy', 'resource-clear', HOST)).toEqual({ hostname: HOST, deleted: 1 });
    expect(await json('proxy', 'resource-show', HOST)).toEqual([]);
  });

  it('resource create / list / show / update / validate / discover / delete', async () => {
    const uri = `http://${HOST}:${server.httpPort}/mcp`;
    const created = await json<{ id: string; uri: string }>(
      'resource',
      'create',
      uri,
      'Registry MCP',
      HOST,
      '--scopes',
      'mcp:read',
      '--description',
      'from the CLI',
    );
    expect(created).toMatchObject({
      uri,
      name: 'Registry MCP',
      proxy_target: HOST,
      scopes: ['mcp:read'],
      description: 'from the CLI',
    });

    const list = await cli('resource', 'list');
    expect(list.stdout.trimEnd().split('\n').slice(1)).toEqual([
      expect.stringMatching(new RegExp(`^${created.id}\\s+${uri.replace(/\./g, '\\.')}\\s+Registry MCP\\s+`)),
    ]);
    expect(await json('resource', 'list')).toEqual([expect.objectContaining({ id: created.id, uri })]);
    expect(await json('resource', 'show', created.id)).toMatchObject({ id: created.id, name: 'Registry MCP' });
    expect(await json('resource', 'update', created.id, '--name', 'Renamed')).toMatchObject({
      id: created.id,
      name: 'Renamed',
    });

    const duplicate = await cli('resource', 'create', uri, 'Again', HOST);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/^error: .* \(HTTP 409/);

    // Auth off and the backend a closed port: invalid, the first failure named, exit 1.
    const down = `target down: the backend ${BACKEND} did not answer (connect ECONNREFUSED 127.0.0.1:1)`;
    const validated = await cli('resource', 'validate', created.id);
    expect(validated.code).toBe(1);
    expect(validated.stdout).toMatch(/^valid\s+false$/m);
    expect(validated.stdout).toContain(`reason  ${down}`);
    expect(validated.stdout).toMatch(/^CHECK\s+OK\s+DETAIL$/m);
    expect(validated.stdout).toMatch(/^target_reachable\s+no\s+target down: /m);
    expect(validated.stdout).toMatch(/^auth_enabled\s+no\s+auth is off for /m);
    expect(validated.stderr).toBe(`error: resource not valid: ${down}\n`);
    const asJson = await cli('resource', 'validate', created.id, '--json');
    expect(asJson.code).toBe(1);
    expect(JSON.parse(asJson.stdout)).toMatchObject({
      id: created.id,
      valid: false,
      reason: down,
      checks: expect.arrayContaining([{ check: 'target_exists', ok: true, detail: `proxy target ${HOST} exists` }]),
    });

    // Discover: the only protected target already has an entry (or its backend is down): nothing new.
    await json('proxy', 'auth-set', HOST);
    const discovered = await json<{ discovered: unknown[]; skipped: { hostname: string; reason: string }[] }>(
      'resource',
      'discover',
    );
    expect(discovered.discovered).toEqual([]);

    // Its MCP policy: rules from a file, the API's problems naming the rule, a table of rules.
    const dir = mkdtempSync(join(tmpdir(), 'cli-policy-'));
    const file = join(dir, 'rules.json');
    const rules = [
      { id: 'admins', method: 'tools/call', name: 'admin_*', users: ['alice'] },
      { id: 'deploys', method: 'tools/call', name: 'deploy', orgs: ['acme'], teams: ['acme/platform'] },
      {
        id: 'team-writes',
        method: 'tools/call',
        name: 'write_*',
        orgs: ['acme'],
        teams: ['acme/platform'],
        rate_limits: [{ per: 'user', limit: 10, window: '1m' }],
      },
    ];
    writeFileSync(file, JSON.stringify(rules));
    expect(await json('resource', 'policy-set', created.id, '--rules', `@${file}`)).toEqual({ rules });
    const table = await cli('resource', 'policy-show', created.id);
    expect(table.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^ID\s+METHOD\s+NAME\s+REQUIRES\s+DENY\s+LIMITS$/),
      expect.stringMatching(/^admins\s+tools\/call\s+admin_\*\s+user alice\s+no\s+-$/),
      expect.stringMatching(/^deploys\s+tools\/call\s+deploy\s+org acme, team acme\/platform\s+no\s+-$/),
      expect.stringMatching(
        /^team-writes\s+tools\/call\s+write_\*\s+org acme, team acme\/platform\s+no\s+10\/1m per user$/,
      ),
    ]);
    const refused = await cli(
      'resource',
      'policy-set',
      created.id,
      '--rules',
      '[{"id":"shell","method":"tools/call","deny":true,"scopes":["mcp:read"]}]',
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^error: rules\[0\] "shell": a deny rule denies everyone: remove scopes, users, emails, orgs and teams, or set deny to false \(HTTP 400/,
    );
    const unreadable = await cli('resource', 'policy-set', created.id, '--rules', `@${join(dir, 'missing.json')}`);
    expect([unreadable.code, unreadable.stderr]).toEqual([2, expect.stringContaining('cannot read the file (ENOENT)')]);
    expect(await json('resource', 'policy-clear', created.id)).toEqual({ id: created.id, deleted: true });
    expect((await cli('resource', 'policy-show', created.id)).code).toBe(1);
    rmSync(dir, { recursive: true });

    expect(await json('resource', 'delete', created.id)).toEqual({ id: created.id, deleted: true });
    const gone = await cli('resource', 'show', created.id);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/\(HTTP 404/);
  });
});
