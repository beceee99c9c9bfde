import { GithubStandin } from '../support/github-standin';
import { Backend, echoBackend, publicRequest } from '../support/loopback';
import { waitFor } from '../support/wait';
import { loopbackFetch } from '../support/loopback-fetch';
import { freePort } from '../support/ports';
import type { ServerProcess } from '../support/server-process';
import { protectTarget, startMcpServer, startProtectedServer } from '../protection/protection-fixture';

interface Resource {
  id: string;
  uri: string;
  name: string;
  proxy_target: string;
  scopes: string[];
  description: string;
  metadata_url: string;
}
interface Validation {
  valid: boolean;
  reason: string | null;
  checks: { check: string; ok: boolean; detail: string }[];
}

/** The resource registry (/api/v1/resources): CRUD, ownership, validate with a specific reason per broken case, discovery. */
describe('MCP resource registry', () => {
  let github: GithubStandin;
  let server: ServerProcess & { issuer: string };
  let mcp: Backend;
  let echo: Backend;
  let selfDescribing: Backend;
  const origin = (host: string) => `http://${host}:${server.httpPort}`;

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startProtectedServer(github);
    mcp = await startMcpServer();
    echo = await echoBackend('not-mcp');
    selfDescribing = await Backend.start((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/.well-known/oauth-protected-resource/mcp')
        return void res.end(
          JSON.stringify({
            resource: 'http://internal:3000/mcp',
            scopes_supported: ['tools:call'],
            resource_name: 'Self-described MCP',
          }),
        );
      res.statusCode = 404;
      res.end('{}');
    });
  });
  afterAll(async () => {
    await Promise.all([mcp?.close(), echo?.close(), selfDescribing?.close()]);
    await server?.stop();
    await github?.stop();
  });

  it('registers, lists, shows, updates and deletes; the served metadata follows the registry', async () => {
    await protectTarget(server, 'reg.example.test', mcp.url, { required_users: ['*'] });
    const created = await server.api<Resource>('POST', '/api/v1/resources', {
      body: {
        uri: `${origin('reg.example.test')}/mcp/`,
        name: 'Registry MCP',
        proxy_target: 'reg.example.test',
        description: 'test',
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      uri: `${origin('reg.example.test')}/mcp`,
      scopes: ['mcp:read', 'mcp:write'],
      metadata_url: `${origin('reg.example.test')}/.well-known/oauth-protected-resource/mcp`,
    });
    const metadata = async () =>
      (await loopbackFetch(created.body.metadata_url)).json() as Promise<Record<string, unknown>>;
    expect(await metadata()).toMatchObject({
      resource: created.body.uri,
      resource_name: 'Registry MCP',
      scopes_supported: ['mcp:read', 'mcp:write'],
    });

    expect((await server.api<Resource[]>('GET', '/api/v1/resources')).body.map((r) => r.id)).toContain(created.body.id);
    expect((await server.api<Resource>('GET', `/api/v1/resources/${created.body.id}`)).body.name).toBe('Registry MCP');
    const updated = await server.api<Resource>('PUT', `/api/v1/resources/${created.body.id}`, {
      body: { name: 'Renamed', scopes: ['mcp:read'] },
    });
    expect(updated.status).toBe(200);
    expect(await metadata()).toMatchObject({ resource_name: 'Renamed', scopes_supported: ['mcp:read'] });
    // The target's /resource is a view onto the same entries.
    expect(
      (await server.api<Resource[]>('GET', '/api/v1/proxy/targets/reg.example.test/resource')).body.map((r) => r.id),
    ).toEqual([created.body.id]);

    expect(
      (
        await server.api('POST', '/api/v1/resources', {
          body: { uri: created.body.uri, name: 'dup', proxy_target: 'reg.example.test' },
        })
      ).status,
    ).toBe(409);
    const elsewhere = await server.api<{ message: string }>('POST', '/api/v1/resources', {
      body: { uri: 'https://other.example.test/mcp', name: 'x', proxy_target: 'reg.example.test' },
    });
    expect([elsewhere.status, elsewhere.body.message]).toEqual([
      400,
      "uri https://other.example.test/mcp is not on proxy target reg.example.test: the resource URI's host must be the target's hostname",
    ]);
    expect(
      (
        await server.api('POST', '/api/v1/resources', {
          body: { uri: 'https://none.example.test/mcp', name: 'x', proxy_target: 'none.example.test' },
        })
      ).status,
    ).toBe(404);

    const other = await server.api<{ token: string }>('POST', '/api/v1/tokens', { body: { name: 'registry-other' } });
    expect((await server.api('GET', `/api/v1/resources/${created.body.id}`, { token: other.body.token })).status).toBe(
      403,
    );
    expect((await server.api<Resource[]>('GET', '/api/v1/resources', { token: other.body.token })).body).toEqual([]);

    expect((await server.api('DELETE', `/api/v1/resources/${created.body.id}`)).status).toBe(200);
    expect((await loopbackFetch(created.body.metadata_url)).status).toBe(404);
    // Without registry entries a protected target is one resource: its origin (root metadata).
    expect(
      await (await loopbackFetch(`${origin('reg.example.test')}/.well-known/oauth-protected-resource`)).json(),
    ).toMatchObject({ resource: origin('reg.example.test') });
  });

  async function validate(
    hostname: string,
    target: string,
    auth: Record<string, unknown> | null,
    uri?: string,
  ): Promise<Validation> {
    expect(
      (
        await server.api('POST', '/api/v1/proxy/targets', {
          body: { hostname, target_url: target, enable_https: false },
        })
      ).status,
    ).toBe(201);
    if (auth)
      expect((await server.api('POST', `/api/v1/proxy/targets/${hostname}/auth`, { body: auth })).status).toBe(200);
    const res = await server.api<Resource>('POST', '/api/v1/resources', {
      body: { uri: uri ?? `${origin(hostname)}/mcp`, name: hostname, proxy_target: hostname },
    });
    expect(res.status).toBe(201);
    const validation = await server.api<Validation>('POST', `/api/v1/resources/${res.body.id}/validate`);
    expect(validation.status).toBe(200);
    return validation.body;
  }

  it('validate: a working MCP server behind a protected target passes every check', async () => {
    const result = await validate('ok.example.test', mcp.url, { required_users: ['alice'] });
    expect(result.checks.map((c) => [c.check, c.ok])).toEqual([
      ['target_exists', true],
      ['target_enabled', true],
      ['target_reachable', true],
      ['auth_enabled', true],
      ['policy', true],
      ['metadata', true],
      ['challenge', true],
      ['mcp_initialize', true],
    ]);
    expect([result.valid, result.reason]).toEqual([true, null]);
  });

  it('validate: the check token of a target that admits only an organisation or a team carries that membership', async () => {
    // Before: made out to "resource-validator" without memberships, the check token got 403 (mcp_initialize failed).
    for (const [hostname, auth] of [
      ['org-only.example.test', { required_orgs: ['Acme'] }],
      ['team-only.example.test', { required_teams: ['acme/platform'] }],
    ] as const) {
      const result = await validate(hostname, mcp.url, auth);
      expect({ hostname, checks: result.checks.filter((c) => !c.ok) }).toEqual({ hostname, checks: [] });
    }
  });

  it('validate: names the reason for each broken case', async () => {
    const down = await validate('down.example.test', `http://127.0.0.1:${await freePort()}`, { required_users: ['*'] });
    expect(down.valid).toBe(false);
    expect(down.reason).toMatch(
      /^target down: the backend http:\/\/127\.0\.0\.1:\d+ did not answer \(.*ECONNREFUSED.*\)$/,
    );

    const off = await validate('off.example.test', mcp.url, null);
    expect(off.reason).toBe('auth is off for off.example.test: POST /api/v1/proxy/targets/off.example.test/auth');

    const wrong = await validate(
      'wrong.example.test',
      mcp.url,
      { required_users: ['*'] },
      'https://wrong.example.test/mcp',
    );
    expect(wrong.reason).toBe(
      `metadata wrong at https://wrong.example.test/.well-known/oauth-protected-resource/mcp: it names resource https://wrong.example.test/mcp, but the target is served at ${origin('wrong.example.test')}`,
    );

    const notMcp = await validate('notmcp.example.test', echo.url, { required_users: ['*'] });
    expect(notMcp.reason).toMatch(/^MCP initialize failed: HTTP 200 \{"backend":"not-mcp"/);
  });

  it('a second replica follows protection changes from memory (ConfigBus), without a restart', async () => {
    const replica = await startProtectedServer(github, {}, server);
    try {
      expect(
        (
          await server.api('POST', '/api/v1/proxy/targets', {
            body: { hostname: 'replica.example.test', target_url: echo.url, enable_https: false },
          })
        ).status,
      ).toBe(201);
      const viaReplica = (path = '/mcp') =>
        publicRequest({ port: replica.httpPort, host: `replica.example.test:${replica.httpPort}`, path });
      await waitFor(
        'the replica to proxy replica.example.test/mcp (value: status)',
        async () => (await viaReplica()).status,
        (status) => status === 200,
        { timeoutMs: 3000 },
      );
      expect(
        (
          await server.api('POST', '/api/v1/proxy/targets/replica.example.test/auth', {
            body: { required_users: ['*'] },
          })
        ).status,
      ).toBe(200);
      expect(
        (
          await server.api('POST', '/api/v1/proxy/targets/replica.example.test/resource', {
            body: { endpoint: '/mcp' },
          })
        ).status,
      ).toBe(200);
      await waitFor(
        'the replica to require a token (value: status)',
        async () => (await viaReplica()).status,
        (status) => status === 401,
        { timeoutMs: 1000 },
      );
      // 401 already follows from the auth change; the resource entry is the next commit: wait for it too.
      await waitFor(
        'the replica to serve the resource metadata (value: status)',
        async () => (await viaReplica('/.well-known/oauth-protected-resource/mcp')).status,
        (status) => status === 200,
        { timeoutMs: 1000 },
      );
      expect((await viaReplica('/.well-known/oauth-protected-resource/mcp')).json()).toMatchObject({
        resource: `${origin('replica.example.test')}/mcp`,
      });
      expect((await server.api('DELETE', '/api/v1/proxy/targets/replica.example.test/auth')).status).toBe(200);
      await waitFor(
        'the replica to proxy without a token again (value: status)',
        async () => (await viaReplica()).status,
        (status) => status === 200,
        { timeoutMs: 1000 },
      );
    } finally {
      await replica.stop();
    }
  });

  it('discovers protected targets whose backend describes itself', async () => {
    await protectTarget(server, 'self.example.test', selfDescribing.url, { required_users: ['*'] });
    await protectTarget(server, 'silent.example.test', echo.url, { required_users: ['*'] });
    const discovered = await server.api<{ discovered: Resource[]; skipped: { hostname: string; reason: string }[] }>(
      'POST',
      '/api/v1/resources/discover',
    );
    expect(discovered.status).toBe(200);
    expect(discovered.body.discovered).toEqual([
      expect.objectContaining({
        uri: `${origin('self.example.test')}/mcp`,
        name: 'Self-described MCP',
        scopes: ['tools:call'],
        proxy_target: 'self.example.test',
      }),
    ]);
    expect(discovered.body.skipped).toContainEqual({
      hostname: 'silent.example.test',
      reason: 'the backend metadata has no resource',
    });
    expect(
      await (await loopbackFetch(`${origin('self.example.test')}/.well-known/oauth-protected-resource/mcp`)).json(),
    ).toMatchObject({ resource: `${origin('self.example.test')}/mcp`, scopes_supported: ['tools:call'] });
  });
});
