import { AppConfig, parseEnvironment } from '@app/config';
import { ConfigBus, RedisConnections, RedisKeys } from '@app/redis';
import { ResourcesRepository } from '@app/resources/resources.repository';
import { GithubStandin } from '../support/github-standin';
import { echoBackend, publicRequest, type Backend } from '../support/loopback';
import { loopbackFetch } from '../support/loopback-fetch';
import type { ServerProcess } from '../support/server-process';
import { testRedisEnv } from '../support/test-redis';
import { waitFor } from '../support/wait';
import { protectTarget, signedToken, startProtectedServer } from '../protection/protection-fixture';

const HOST = 'policy.fail-closed.test';
const UNAVAILABLE = `503 ${JSON.stringify({
  error: 'temporarily_unavailable',
  error_description: `the protection settings of ${HOST} (its auth settings, resources or MCP policy) cannot be applied: every request is refused until they are set again`,
})}`;
/** Valid where OAUTH_SCOPES issues mcp:admin. */
const POLICY = { rules: [{ id: 'admins', method: 'tools/call', name: 'admin_*', scopes: ['mcp:admin'] }] };

/**
 * A stored MCP policy the server cannot use never leaves its target open: edited by hand in Redis
 * (past the API's validation), or made unsatisfiable because this replica's OAUTH_SCOPES no longer
 * issues a scope a rule requires. Every request to the target is refused with 503 and never
 * forwarded (as for unreadable auth settings), and the log names the rule at fault. Ignoring the
 * policy instead would forward calls the operator meant to deny.
 */
describe('fail closed: a stored MCP policy that cannot be used refuses its target', () => {
  let github: GithubStandin;
  let server: ServerProcess & { issuer: string };
  /** Same Redis, but OAUTH_SCOPES without mcp:admin (a shrunk configuration rolled out to one replica). */
  let shrunk: ServerProcess & { issuer: string };
  let backend: Backend;
  let backendHits = 0;
  let kid: string;
  let connections: RedisConnections;
  let resources: ResourcesRepository;
  let resourceId: string;

  const call = (at: ServerProcess, headers: Record<string, string> = {}) =>
    publicRequest({
      port: at.httpPort,
      host: `${HOST}:${at.httpPort}`,
      path: '/mcp',
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: {} } }),
    });
  /** Without a token and with a valid one; well-formed: 401 then 200. */
  const probe = async (at: ServerProcess) => {
    // The resource URI names the first server's port: tokens name it on both replicas.
    const token = signedToken(server.issuer, { aud: `http://${HOST}:${server.httpPort}/mcp`, login: 'alice' }, kid);
    const answers = [await call(at), await call(at, { authorization: `Bearer ${token}` })];
    return { statuses: answers.map((r) => r.status).join(' '), seen: answers.map((r) => `${r.status} ${r.text}`) };
  };

  /** The messages of a server's JSON log lines. */
  const logged = (at: ServerProcess) =>
    at.logs
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => String((JSON.parse(line) as { msg?: unknown }).msg));

  /** Writes the resource's stored policy through the repository and the change bus, past the API. */
  async function storePolicy(policy: unknown): Promise<void> {
    const record = await resources.find(resourceId);
    if (!record) throw new Error(`no stored resource ${resourceId}`);
    await resources.replace(record, { ...record, policy: policy as typeof record.policy });
  }

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startProtectedServer(github, { OAUTH_SCOPES: 'mcp:read mcp:write mcp:admin' });
    shrunk = await startProtectedServer(github, { OAUTH_SCOPES: 'mcp:read mcp:write' }, server);
    const echo = await echoBackend('policy-fail-closed');
    echo.server.prependListener('request', () => backendHits++);
    backend = echo;
    await protectTarget(
      server,
      HOST,
      backend.url,
      { mode: 'forward', required_users: ['alice'] },
      { endpoint: '/mcp' },
    );
    const listed = await server.api<{ id: string }[]>('GET', `/api/v1/proxy/targets/${HOST}/resource`);
    resourceId = listed.body[0].id;
    kid = ((await (await loopbackFetch(`${server.issuer}/jwks`)).json()) as { keys: { kid: string }[] }).keys[0].kid;
    const config = new AppConfig(
      parseEnvironment({
        ADMIN_TOKEN: 'acm_0123456789abcdef0123',
        ...testRedisEnv(),
        REDIS_KEY_PREFIX: server.keyPrefix,
      }),
    );
    connections = new RedisConnections(config);
    const keys = new RedisKeys(config);
    resources = new ResourcesRepository(connections, keys, new ConfigBus(connections, keys, config));
  });
  afterAll(async () => {
    await connections?.onApplicationShutdown();
    await backend?.close();
    await shrunk?.stop();
    await server?.stop();
    await github?.stop();
  });

  it('without a policy both replicas forward a valid call', async () => {
    expect((await probe(server)).statuses).toBe('401 200');
    await waitFor(
      'the second replica to serve the target',
      () => probe(shrunk),
      (p) => p.statuses === '401 200',
    );
  });

  it('a policy needing a scope this replica does not issue: it refuses the target, the other serves it', async () => {
    expect((await server.api('PUT', `/api/v1/resources/${resourceId}/policy`, { body: POLICY })).status).toBe(200);
    await waitFor(
      'the second replica to refuse the target',
      () => probe(shrunk),
      (p) => p.statuses === '503 503',
    );
    const before = backendHits;
    expect((await probe(shrunk)).seen).toEqual([UNAVAILABLE, UNAVAILABLE]);
    expect(backendHits).toBe(before);
    // The replica that issues mcp:admin serves it (the call matches no rule: allowed).
    expect((await probe(server)).statuses).toBe('401 200');
    await waitFor(
      'the second replica to log the rule at fault',
      () => logged(shrunk),
      (messages) =>
        messages.some((m) =>
          m.startsWith(
            `auth settings of proxy target ${HOST} are unreadable (the MCP policy of resource http://${HOST}:${server.httpPort}/mcp is invalid: rules[0] "admins": scope mcp:admin is not issued by this server`,
          ),
        ),
    );
    expect((await server.api('DELETE', `/api/v1/resources/${resourceId}/policy`)).status).toBe(200);
    await waitFor(
      'the second replica to serve the target again',
      () => probe(shrunk),
      (p) => p.statuses === '401 200',
    );
  });

  it.each<[string, unknown, string]>([
    ['rules that are not a list', { rules: 'all' }, 'rules must be an array'],
    [
      'a deny rule that also lists users',
      { rules: [{ id: 'shell', method: 'tools/call', deny: true, users: ['alice'] }] },
      'rules[0] "shell": a deny rule denies everyone',
    ],
    ['a policy that is not an object', 'deny', 'the policy must be a JSON object'],
    ['a rule without a method', { rules: [{ id: 'any' }] }, 'rules[0] "any": method is required'],
  ])(
    'a hand-edited policy with %s: every request is refused with 503 and never forwarded',
    async (_what, policy, why) => {
      await storePolicy(policy);
      await waitFor(
        'the server to apply the stored policy',
        () => probe(server),
        (p) => p.statuses !== '401 200',
      );
      const before = backendHits;
      expect((await probe(server)).seen).toEqual([UNAVAILABLE, UNAVAILABLE]);
      expect(backendHits).toBe(before);
      await waitFor(
        'the server to log why',
        () => logged(server),
        (messages) => messages.some((m) => m.includes(`is invalid: ${why}`)),
      );
      // Setting it again through the API repairs it.
      expect((await server.api('DELETE', `/api/v1/resources/${resourceId}/policy`)).status).toBe(200);
      await waitFor(
        'the server to serve the target again',
        () => probe(server),
        (p) => p.statuses === '401 200',
      );
    },
  );
});
