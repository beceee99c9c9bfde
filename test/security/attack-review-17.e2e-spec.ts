import { AppConfig, parseEnvironment } from '@app/config';
import { ProxyTargetsRepository } from '@app/proxy-targets/proxy-targets.repository';
import { ConfigBus, RedisConnections, RedisKeys } from '@app/redis';
import { GithubStandin } from '../support/github-standin';
import { echoBackend, publicRequest, type Backend } from '../support/loopback';
import { loopbackFetch } from '../support/loopback-fetch';
import type { ServerProcess } from '../support/server-process';
import { testRedisEnv } from '../support/test-redis';
import { waitFor } from '../support/wait';
import { protectTarget, signedToken, startProtectedServer } from '../protection/protection-fixture';

const HOST = 'stored.attack17.test';

/**
 * Findings of the attack review of the issue-17 refactor. Stored auth settings written past the
 * API's validation (straight into Redis, through the repository and the change bus) that the
 * refactored reader still took as "anyone" or "auth off": each must read as unreadable (503 for
 * every request, the backend never reached), as the shapes in fail-closed.e2e-spec.ts do.
 */
describe('attack review 17: stored auth shapes that read as "anyone"', () => {
  let github: GithubStandin;
  let server: ServerProcess & { issuer: string };
  let backend: Backend;
  let backendHits = 0;
  let kid: string;
  let connections: RedisConnections;
  let targets: ProxyTargetsRepository;
  let wellFormed: Record<string, unknown>;

  const call = (headers: Record<string, string> = {}) =>
    publicRequest({ port: server.httpPort, host: `${HOST}:${server.httpPort}`, path: '/mcp', headers });
  const token = (login: string) =>
    signedToken(server.issuer, { aud: `http://${HOST}:${server.httpPort}/mcp`, login }, kid);

  async function storeAuth(auth: Record<string, unknown>): Promise<void> {
    const record = await targets.find(HOST);
    if (!record) throw new Error(`no stored proxy target ${HOST}`);
    await targets.replace({ ...record, auth });
  }

  /** Without a token, with alice's token (allowed) and with bob's (not on the allowlist). */
  const probe = async () => {
    const answers = [
      await call(),
      await call({ authorization: `Bearer ${token('alice')}` }),
      await call({ authorization: `Bearer ${token('bob')}` }),
    ];
    return { statuses: answers.map((r) => r.status).join(' '), seen: answers.map((r) => `${r.status} ${r.text}`) };
  };
  const WELL_FORMED = '401 200 403';

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startProtectedServer(github);
    const echo = await echoBackend('attack17');
    echo.server.prependListener('request', () => backendHits++);
    backend = echo;
    await protectTarget(
      server,
      HOST,
      backend.url,
      { mode: 'forward', required_users: ['alice'] },
      { endpoint: '/mcp' },
    );
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
    targets = new ProxyTargetsRepository(connections, keys, new ConfigBus(connections, keys, config));
    wellFormed = (await targets.find(HOST))?.auth ?? {};
  });
  afterEach(async () => {
    await storeAuth(wellFormed);
    await waitFor('the well-formed setting to apply again', probe, (p) => p.statuses === WELL_FORMED);
  });
  afterAll(async () => {
    await connections?.onApplicationShutdown();
    await backend?.close();
    await server?.stop();
    await github?.stop();
  });

  it('the well-formed settings first: alice passes, bob and no token do not', async () => {
    expect((await probe()).statuses).toBe(WELL_FORMED);
  });

  it.each([
    // '' is a prefix of every path once isExcludedPath appends '/': every request was forwarded.
    ['an excluded path that is empty', (w: Record<string, unknown>) => ({ ...w, excluded_paths: [''] })],
    ['an excluded path that is not a path', (w: Record<string, unknown>) => ({ ...w, excluded_paths: ['mcp'] })],
    // Every version wrote `enabled`; a slot without it read as "auth off": every request was forwarded.
    [
      'a slot without the enabled flag',
      (w: Record<string, unknown>) => Object.fromEntries(Object.entries(w).filter(([k]) => k !== 'enabled')),
    ],
    ['an empty slot', () => ({})],
  ])('%s: every request is refused with 503 and never reaches the backend', async (_what, broken) => {
    await storeAuth(broken(wellFormed));
    await waitFor('the server to apply the stored setting', probe, (p) => p.statuses !== WELL_FORMED);
    // Counted after the change applied: a probe that ran before it may have reached the backend as alice.
    const before = backendHits;
    const { seen } = await probe();
    expect(seen).toEqual(
      Array(3).fill(
        `503 ${JSON.stringify({
          error: 'temporarily_unavailable',
          error_description: `the auth settings of ${HOST} are unreadable: every request is refused until they are set again`,
        })}`,
      ),
    );
    expect(backendHits).toBe(before);
  });
});
