import { GithubStandin } from '../support/github-standin';
import { Backend, publicRequest } from '../support/loopback';
import { loopbackFetch } from '../support/loopback-fetch';
import type { ServerProcess } from '../support/server-process';
import { waitFor } from '../support/wait';
import { protectTarget, startMcpServer, startProtectedServer } from '../protection/protection-fixture';

const HOST = 'policy.example.test';
const SCOPES = 'mcp:read mcp:write mcp:admin';

interface Resource {
  id: string;
  uri: string;
  scopes: string[];
  metadata_url: string;
  policy: unknown;
}
interface ErrorBody {
  statusCode: number;
  message: string;
}

const POLICY = {
  rules: [
    { id: 'no-shell', method: 'tools/call', name: 'run_shell', deny: true },
    { id: 'admins', method: 'tools/call', name: 'admin_*', scopes: ['mcp:admin'], users: ['alice'] },
    { id: 'writes', method: 'tools/call', name: 'write_*', scopes: ['mcp:write', 'mcp:admin'] },
  ],
};

/**
 * The MCP policy of a registered resource through the API (`/api/v1/resources/{id}/policy`):
 * validation naming the rule, ownership, the record as the one source, and what the served
 * metadata publishes (the rules' scopes after the resource's own), on this replica and another.
 */
describe('MCP resource policies: API', () => {
  let github: GithubStandin;
  let server: ServerProcess & { issuer: string };
  let replica: ServerProcess & { issuer: string };
  let mcp: Backend;
  let resource: Resource;
  const policyPath = () => `/api/v1/resources/${resource.id}/policy`;
  const scopesSupported = async (at: ServerProcess) =>
    (
      (await (
        await loopbackFetch(`http://${HOST}:${at.httpPort}/.well-known/oauth-protected-resource/mcp`)
      ).json()) as { scopes_supported: string[] }
    ).scopes_supported;

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startProtectedServer(github, { OAUTH_SCOPES: SCOPES });
    replica = await startProtectedServer(github, { OAUTH_SCOPES: SCOPES }, server);
    mcp = await startMcpServer();
    await protectTarget(server, HOST, mcp.url, { required_users: ['*'] });
    const created = await server.api<Resource>('POST', '/api/v1/resources', {
      body: {
        uri: `http://${HOST}:${server.httpPort}/mcp`,
        name: 'Governed',
        proxy_target: HOST,
        scopes: ['mcp:read'],
      },
    });
    expect(created.status).toBe(201);
    resource = created.body;
  });
  afterAll(async () => {
    await mcp?.close();
    await replica?.stop();
    await server?.stop();
    await github?.stop();
  });

  it('a resource without a policy: 404 naming what that means, policy null in the resource', async () => {
    const res = await server.api<ErrorBody>('GET', policyPath());
    expect([res.status, res.body.message]).toEqual([
      404,
      `resource "${resource.id}" has no MCP policy: every MCP call is allowed (PUT /api/v1/resources/${resource.id}/policy sets one)`,
    ]);
    expect(resource.policy).toBeNull();
    expect(await scopesSupported(server)).toEqual(['mcp:read']);
  });

  it('refuses an invalid policy with every problem, each naming its rule; nothing is stored', async () => {
    const res = await server.api<ErrorBody>('PUT', policyPath(), {
      body: {
        default: 'maybe',
        rules: [
          { id: 'writes', method: 'tools/call', scopes: ['mcp:delete'] },
          { id: 'writes', method: 'tools/call' },
          { id: 'shell', method: 'tools/call', deny: true, users: ['alice'] },
          { method: '', nmae: 'x' },
        ],
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.message.split('; ')).toEqual([
      'default must be "allow" or "deny"',
      `rules[0] "writes": scope mcp:delete is not issued by this server (OAUTH_SCOPES: ${SCOPES}), so no caller could ever get it`,
      'rules[1] "writes": id is used by an earlier rule (ids must be unique)',
      'rules[2] "shell": a deny rule denies everyone: remove scopes, users, emails, orgs and teams, or set deny to false',
      'rules[3]: unknown field "nmae" (allowed: id, method, name, scopes, users, emails, orgs, teams, deny, rate_limits)',
      'rules[3]: id is required: 1-64 letters, digits, ".", "_", ":" or "-", starting with a letter or digit',
      'rules[3]: method is required: a JSON-RPC method or glob such as "tools/call" or "tools/*" (at most 512 characters)',
    ]);
    const notJson = await server.api<ErrorBody>('PUT', policyPath(), { body: [] });
    expect([notJson.status, notJson.body.message]).toEqual([
      400,
      'the policy must be a JSON object with a "rules" array',
    ]);
    expect((await server.api('GET', policyPath())).status).toBe(404);
  });

  it('stores a policy: shown by GET and in the resource; both replicas publish the rules scopes after the resource scopes', async () => {
    const put = await server.api('PUT', policyPath(), { body: POLICY });
    expect([put.status, put.body]).toEqual([200, POLICY]);
    expect((await server.api('GET', policyPath())).body).toEqual(POLICY);
    expect((await server.api<Resource>('GET', `/api/v1/resources/${resource.id}`)).body.policy).toEqual(POLICY);
    expect(await scopesSupported(server)).toEqual(['mcp:read', 'mcp:admin', 'mcp:write']);
    // The other replica follows through the ConfigBus.
    await waitFor(
      'the replica to publish the policy scopes',
      () => scopesSupported(replica),
      (s) => s.join(' ') === 'mcp:read mcp:admin mcp:write',
    );
    // The 401 challenge still asks for what the first token needs: the resource's own scopes.
    const challenge = await publicRequest({
      port: server.httpPort,
      host: `${HOST}:${server.httpPort}`,
      path: '/mcp',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect([challenge.status, challenge.headers['www-authenticate']]).toEqual([
      401,
      expect.stringContaining('scope="mcp:read"'),
    ]);
    // validate checks the policy and the published scopes.
    const validation = await server.api<{ checks: { check: string; ok: boolean; detail: string }[] }>(
      'POST',
      `/api/v1/resources/${resource.id}/validate`,
    );
    expect(validation.body.checks.filter((c) => ['policy', 'metadata'].includes(c.check))).toEqual([
      { check: 'policy', ok: true, detail: 'the MCP policy is valid (3 rules)' },
      { check: 'metadata', ok: true, detail: expect.stringContaining('matches the registry') },
    ]);
  });

  it('only the owner (and the admin) reads, sets or removes it; an unknown resource is 404', async () => {
    const other = await server.api<{ token: string }>('POST', '/api/v1/tokens', { body: { name: 'policy-other' } });
    const as = { token: other.body.token };
    expect((await server.api('GET', policyPath(), as)).status).toBe(403);
    expect((await server.api('PUT', policyPath(), { ...as, body: { rules: [] } })).status).toBe(403);
    expect((await server.api('DELETE', policyPath(), as)).status).toBe(403);
    expect((await server.api('GET', policyPath(), { token: null })).status).toBe(401);
    const unknown = await server.api<ErrorBody>('PUT', '/api/v1/resources/res_nope/policy', { body: { rules: [] } });
    expect([unknown.status, unknown.body.message]).toEqual([404, 'resource "res_nope" not found']);
    expect((await server.api('GET', policyPath())).body).toEqual(POLICY);
  });

  it('create and update take a policy too (null removes it); their 400s name the field and the rule', async () => {
    const created = await server.api<Resource>('POST', '/api/v1/resources', {
      body: {
        uri: `http://${HOST}:${server.httpPort}/other`,
        name: 'Other',
        proxy_target: HOST,
        policy: { default: 'deny', rules: [{ id: 'lists', method: '*/list' }] },
      },
    });
    expect([created.status, created.body.policy]).toEqual([
      201,
      { default: 'deny', rules: [{ id: 'lists', method: '*/list' }] },
    ]);
    const bad = await server.api<ErrorBody>('PUT', `/api/v1/resources/${created.body.id}`, {
      body: { policy: { rules: [{ id: 'x', method: 'tools/call', users: [] }] } },
    });
    expect([bad.status, bad.body.message]).toEqual([
      400,
      'policy: rules[0] "x": users must be a non-empty array of non-empty strings (at most 1000)',
    ]);
    // An update without policy keeps it; null removes it.
    const renamed = await server.api<Resource>('PUT', `/api/v1/resources/${created.body.id}`, { body: { name: 'R' } });
    expect(renamed.body.policy).toEqual({ default: 'deny', rules: [{ id: 'lists', method: '*/list' }] });
    const cleared = await server.api<Resource>('PUT', `/api/v1/resources/${created.body.id}`, {
      body: { policy: null },
    });
    expect([cleared.status, cleared.body.policy]).toEqual([200, null]);
    expect((await server.api('DELETE', `/api/v1/resources/${created.body.id}`)).status).toBe(200);
  });

  it('DELETE removes it (everything allowed as before); the metadata and the replica follow', async () => {
    expect((await server.api('DELETE', policyPath())).body).toEqual({ id: resource.id, deleted: true });
    expect((await server.api('DELETE', policyPath())).body).toEqual({ id: resource.id, deleted: false });
    expect((await server.api('GET', policyPath())).status).toBe(404);
    expect(await scopesSupported(server)).toEqual(['mcp:read']);
    await waitFor(
      'the replica to drop the policy scopes',
      () => scopesSupported(replica),
      (s) => s.join(' ') === 'mcp:read',
    );
  });
});
