import type { IncomingHttpHeaders } from 'node:http';
import { GithubStandin } from '../support/github-standin';
import { Backend, publicRequest, type PublicResponse } from '../support/loopback';
import { loopbackFetch } from '../support/loopback-fetch';
import { setResourcePolicy } from '../support/mcp-policy';
import type { ServerProcess } from '../support/server-process';
import { protectTarget, signedToken, startProtectedServer } from '../protection/protection-fixture';

const ORG = 'org.mcp.test';
const RULE = 'rule.mcp.test';
const NEEDED =
  'it admits members of the GitHub organisation acme or the team globex/platform (memberships are read from GitHub when a token is issued: get a new token after joining)';

const TEAM_POLICY = {
  rules: [{ id: 'deploys', method: 'tools/call', name: 'deploy', teams: ['Acme/Platform'] }],
};

const rpc = (id: number, method: string, params?: unknown) =>
  JSON.stringify({ jsonrpc: '2.0', id, method, ...(params !== undefined && { params }) });

/**
 * An MCP-shaped backend on loopback: `tools/list` answers two tools, any other call `{ok:true}`;
 * it records the headers it received (what the proxy passed on).
 */
async function toolsBackend(): Promise<Backend & { received: IncomingHttpHeaders[] }> {
  const received: IncomingHttpHeaders[] = [];
  const backend = await Backend.start((req, res) => {
    received.push(req.headers);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString();
      const message = (text ? JSON.parse(text) : {}) as { id?: number; method?: string };
      const result =
        message.method === 'tools/list'
          ? { tools: ['deploy', 'read_docs'].map((name) => ({ name, inputSchema: { type: 'object' } })) }
          : { ok: true };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ jsonrpc: '2.0', id: message.id ?? null, result }));
    });
  });
  return Object.assign(backend, { received });
}

/**
 * Organisations and teams at the proxy (issue 19, item 1): a target's `required_orgs` /
 * `required_teams` and an MCP rule's `teams` admit callers by the `orgs` / `teams` claims of a token
 * minted with the test signing key (the real server verifies it like any of its own). Only a
 * well-formed claim admits; anything else, and anything the client says beside the token, does not.
 * Through the data path and through forward-auth `/verify`, which must answer the same.
 */
describe('organisation and team claims', () => {
  let github: GithubStandin;
  let server: ServerProcess & { issuer: string };
  let backend: Backend & { received: IncomingHttpHeaders[] };
  let kid: string;
  let orgResource: string;
  let ruleResource: string;

  const token = (aud: string, claims: Record<string, unknown>) =>
    signedToken(server.issuer, { aud, scope: 'mcp:read', login: 'bob', ...claims }, kid);
  const post = (host: string, body: string, bearer: string, headers: Record<string, string> = {}) =>
    publicRequest({
      port: server.httpPort,
      host: `${host}:${server.httpPort}`,
      path: '/mcp',
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${bearer}`,
        ...headers,
      },
      body,
    });
  const verify = (resource: string, bearer: string) =>
    loopbackFetch(`${server.apiUrl}/verify`, {
      headers: { 'x-original-url': resource, authorization: `Bearer ${bearer}` },
    });
  const description = (res: PublicResponse) => res.json<{ error_description?: string }>().error_description;
  const toolNames = (res: PublicResponse) =>
    res.json<{ result: { tools: { name: string }[] } }>().result.tools.map((t) => t.name);

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startProtectedServer(github);
    backend = await toolsBackend();
    await protectTarget(
      server,
      ORG,
      backend.url,
      {
        mode: 'forward',
        required_users: ['carol'],
        required_emails: ['dan@example.test'],
        required_orgs: ['Acme'],
        required_teams: ['globex/platform'],
      },
      { endpoint: '/mcp', scopes: ['mcp:read'] },
    );
    await protectTarget(server, RULE, backend.url, { mode: 'forward' }, { endpoint: '/mcp', scopes: ['mcp:read'] });
    kid = ((await (await loopbackFetch(`${server.issuer}/jwks`)).json()) as { keys: { kid: string }[] }).keys[0].kid;
    orgResource = `http://${ORG}:${server.httpPort}/mcp`;
    ruleResource = `http://${RULE}:${server.httpPort}/mcp`;
    const outsider = token(ruleResource, {});
    await setResourcePolicy(
      server,
      RULE,
      '/mcp',
      TEAM_POLICY,
      async () => (await post(RULE, rpc(0, 'tools/call', { name: 'deploy' }), outsider)).status === 403,
    );
  });
  afterAll(async () => {
    await backend?.close();
    await server?.stop();
    await github?.stop();
  });

  it("admits a target's organisation or team members, in any case, and only by a well-formed claim", async () => {
    const cases: [string, Record<string, unknown>, number][] = [
      ['org member', { orgs: ['acme'] }, 200],
      ['org member, claim in another case', { orgs: ['ACME'] }, 200],
      ['team member', { orgs: ['globex'], teams: ['globex/platform'] }, 200],
      ['team member, claim in another case', { teams: ['Globex/Platform'] }, 200],
      ['no claims', {}, 403],
      ['empty claims', { orgs: [], teams: [] }, 403],
      ['an organisation not named', { orgs: ['initech'] }, 403],
      ["the team's organisation is not the team", { orgs: ['globex'] }, 403],
      ['another team of a named organisation is not the organisation', { teams: ['acme/platform'] }, 403],
      ['claim as a string', { orgs: 'acme', teams: 'globex/platform' }, 403],
      ['claim as an object', { orgs: { acme: true } }, 403],
      ['a list with a non-string entry', { orgs: ['acme', 7] }, 403],
      ['a list of lists', { orgs: [['acme']] }, 403],
      ['null claim', { orgs: null }, 403],
    ];
    const seen: [string, number, number][] = [];
    for (const [what, claims, expected] of cases) {
      const t = token(orgResource, claims);
      const res = await post(ORG, rpc(1, 'ping'), t);
      const forwardAuth = await verify(orgResource, t);
      seen.push([what, res.status, forwardAuth.status]);
      if (expected === 403) {
        // What admits is said; the target's logins and e-mails are not.
        expect(description(res)).toBe(`user bob is not allowed on ${ORG}: ${NEEDED}`);
        expect(res.text).not.toMatch(/carol|dan@/);
        const body = (await forwardAuth.json()) as { error_description: string };
        expect(body.error_description).toBe(`user bob is not allowed on ${ORG}: ${NEEDED}`);
      }
    }
    expect(seen).toEqual(cases.map(([what, , expected]) => [what, expected, expected]));
    // The login and e-mail lists still admit beside them.
    for (const claims of [{ login: 'carol' }, { email: 'Dan@example.test' }])
      expect((await post(ORG, rpc(2, 'ping'), token(orgResource, claims))).status).toBe(200);
  });

  it('never takes a membership from what the client sends beside the token', async () => {
    const forged = {
      'x-auth-orgs': 'acme',
      'X-Auth-Teams': 'globex/platform',
      x_auth_orgs: 'acme',
      orgs: 'acme',
      teams: 'globex/platform',
    };
    const outsider = token(orgResource, { orgs: ['initech'] });
    expect((await post(ORG, rpc(3, 'ping'), outsider, forged)).status).toBe(403);
    const fwd = await loopbackFetch(`${server.apiUrl}/verify`, {
      headers: { 'x-original-url': orgResource, authorization: `Bearer ${outsider}`, ...forged },
    });
    expect(fwd.status).toBe(403);
    // An admitted caller's forged identity headers never reach the backend, in any spelling.
    const before = backend.received.length;
    const member = await post(ORG, rpc(4, 'ping'), token(orgResource, { orgs: ['acme'] }), forged);
    expect(member.status).toBe(200);
    const passed = backend.received
      .slice(before)
      .map((h) => Object.keys(h).filter((k) => /auth.orgs|auth.teams/.test(k)));
    expect(passed).toEqual([[]]);
  });

  it('a rule with teams allows its team and denies another; its tools/list is filtered by team', async () => {
    const platform = token(ruleResource, { orgs: ['acme'], teams: ['acme/platform'] });
    const sre = token(ruleResource, { orgs: ['acme'], teams: ['acme/sre'] });
    const stringClaim = token(ruleResource, { teams: 'acme/platform' });
    const deploy = rpc(5, 'tools/call', { name: 'deploy', arguments: {} });
    expect((await post(RULE, deploy, platform)).status).toBe(200);
    expect((await post(RULE, deploy, token(ruleResource, { teams: ['ACME/PLATFORM'] }))).status).toBe(200);
    for (const denied of [sre, stringClaim, token(ruleResource, {})]) {
      const res = await post(RULE, deploy, denied);
      expect(res.status).toBe(403);
      expect(res.json<{ error: { code: number; data: unknown } }>().error).toMatchObject({
        code: -32003,
        data: { rule: 'deploys', decision: 'denied-identity' },
      });
    }
    // Calls the rule does not match are untouched by it.
    expect((await post(RULE, rpc(6, 'tools/call', { name: 'read_docs' }), sre)).status).toBe(200);

    const list = rpc(7, 'tools/list');
    expect(toolNames(await post(RULE, list, platform))).toEqual(['deploy', 'read_docs']);
    expect(toolNames(await post(RULE, list, sre))).toEqual(['read_docs']);
    expect(toolNames(await post(RULE, list, stringClaim))).toEqual(['read_docs']);
  });
});
