import { AppConfig, parseEnvironment } from '@app/config';
import { ProxyTargetsRepository } from '@app/proxy-targets/proxy-targets.repository';
import { ConfigBus, RedisConnections, RedisKeys } from '@app/redis';
import { GithubStandin } from '../support/github-standin';
import { publicRequest, type Backend } from '../support/loopback';
import { echoBackend } from '../support/loopback';
import { loopbackFetch } from '../support/loopback-fetch';
import type { ServerProcess } from '../support/server-process';
import { testRedisEnv } from '../support/test-redis';
import { waitFor } from '../support/wait';
import { protectTarget, signedToken, startProtectedServer } from '../protection/protection-fixture';

const HOST = 'broken.fail-closed.test';

/**
 * A protected target whose stored auth settings cannot be read (written straight into Redis, past
 * the API's validation) is refused, never forwarded: with or without a valid token, and the server
 * says why in its log. Before issue 17 a malformed setting read back as "anyone" or as "auth off".
 */
describe('fail closed: malformed stored auth settings deny', () => {
  let github: GithubStandin;
  let server: ServerProcess & { issuer: string };
  let backend: Backend;
  let backendHits = 0;
  let kid: string;
  let connections: RedisConnections;
  let targets: ProxyTargetsRepository;
  /** The stored auth slot as the API wrote it. */
  let wellFormed: Record<string, unknown>;

  const call = (headers: Record<string, string> = {}) =>
    publicRequest({ port: server.httpPort, host: `${HOST}:${server.httpPort}`, path: '/mcp', headers });
  const token = (login: string) =>
    signedToken(server.issuer, { aud: `http://${HOST}:${server.httpPort}/mcp`, login }, kid);

  /** Replaces the target's stored `auth` slot, through the repository and the change bus like any configuration write. */
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
    const echo = await echoBackend('fail-closed');
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
    // The well-formed setting again for the next case, honoured again.
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

  type Breakage = (wellFormed: Record<string, unknown>) => Record<string, unknown>;
  it.each<[string, Breakage]>([
    ['an allowlist that is not a list', (w) => ({ ...w, required_users: 'alice' })],
    ['an enabled flag that is not a boolean', (w) => ({ ...w, enabled: 'yes' })],
    [
      'an e-mail allowlist that is not a list',
      (w) => ({ ...w, required_users: [], required_emails: 'carol@example.test' }),
    ],
    // Issue 19: a membership list that is not one never reads as "no list" (which, with the other lists empty, is anyone).
    [
      'an organisation allowlist that is not a list',
      (w) => ({ ...w, required_users: [], required_emails: [], required_orgs: 'acme' }),
    ],
    [
      'a team allowlist with an entry that is not organisation/team-slug',
      (w) => ({ ...w, required_users: [], required_emails: [], required_teams: ['acme/platform', 'acme'] }),
    ],
    // Found by the attack review of the issue-17 refactor:
    // '' is a prefix of every path once isExcludedPath appends '/': every request was forwarded.
    ['an excluded path that is empty', (w) => ({ ...w, excluded_paths: [''] })],
    ['an excluded path that is not a path', (w) => ({ ...w, excluded_paths: ['mcp'] })],
    // Every version wrote `enabled`; a slot without it read as "auth off": every request was forwarded.
    ['a slot without the enabled flag', (w) => Object.fromEntries(Object.entries(w).filter(([k]) => k !== 'enabled'))],
    ['an empty slot', () => ({})],
  ])('%s: every request is refused with 503 and never reaches the backend', async (_what, broken) => {
    await storeAuth(broken(wellFormed));
    // Waits for this replica to apply the write (the answers change from those of the well-formed
    // setting), then asks again: a probe that straddled the change would show both (and may have
    // reached the backend under the old setting, so the backend count starts after the wait).
    await waitFor('the server to apply the stored setting', probe, (p) => p.statuses !== WELL_FORMED);
    const before = backendHits;
    const { seen } = await probe();
    expect(seen).toEqual(
      Array(3).fill(
        `503 ${JSON.stringify({
          error: 'temporarily_unavailable',
          error_description: `the protection settings of ${HOST} (its auth settings, resources or MCP policy) cannot be applied: every request is refused until they are set again`,
        })}`,
      ),
    );
    expect(backendHits).toBe(before);
    // The owner sees why in the API.
    const shown = await server.api('GET', `/api/v1/proxy/targets/${HOST}/auth`);
    expect([shown.status, (shown.body as { unreadable?: string }).unreadable]).toEqual([200, expect.any(String)]);
    await waitFor(
      'the server to log the unreadable setting',
      () => server.logs,
      (logs) => logs.includes(`auth settings of proxy target ${HOST} are unreadable`),
    );
  });
});
