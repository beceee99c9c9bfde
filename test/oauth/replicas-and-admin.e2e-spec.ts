import { createHash, randomBytes } from 'node:crypto';
import { GithubStandin } from '../support/github-standin';
import { OAuthBrowser } from '../support/oauth-browser';
import { ServerProcess } from '../support/server-process';
import { form, registerClient, RESOURCE_A, startOAuthServer } from './oauth-fixture';

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/**
 * Two replicas sharing one Redis prefix behind one issuer: a flow started on one continues on the
 * other. Then the admin API over the grants this created.
 */
describe('OAuth across replicas, and the OAuth admin API', () => {
  let github: GithubStandin;
  let a: ServerProcess;
  let b: ServerProcess;
  let client: Record<string, string>;
  const redirect = 'http://127.0.0.1:47001/callback';

  beforeAll(async () => {
    github = await GithubStandin.start();
    a = await startOAuthServer(github);
    b = await startOAuthServer(github, { OAUTH_ISSUER: a.apiUrl }, a.keyPrefix);
    client = await registerClient(a, {
      client_name: 'Replica client',
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
    });
  });
  afterAll(async () => {
    await Promise.all([a.stop(), b.stop()]);
    await github.stop();
  });

  async function login(
    user: string,
    onB: (url: URL) => boolean,
  ): Promise<{ tokens: Record<string, string>; hosts: string[] }> {
    github.signIn(user);
    const verifier = randomBytes(32).toString('base64url');
    const url = new URL(`${a.apiUrl}/authorize`);
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: redirect,
      code_challenge: s256(verifier),
      code_challenge_method: 'S256',
      state: 's',
      resource: RESOURCE_A,
    }))
      url.searchParams.set(k, v);
    const hosts: string[] = [];
    // The "load balancer": requests to the issuer go to replica B when onB says so.
    const browser = new OAuthBrowser({
      route: (u) => {
        if (u.origin !== a.apiUrl) return u;
        const target = onB(u) ? new URL(u.pathname + u.search, b.apiUrl) : u;
        hosts.push(`${u.pathname} -> ${target.origin === b.apiUrl ? 'B' : 'A'}`);
        return target;
      },
    });
    const flow = await browser.authorize(url, redirect);
    const code = flow.callback?.searchParams.get('code');
    if (!code) throw new Error(`no code: ${JSON.stringify(flow)}`);
    const res = await form(`${a.apiUrl}/token`, {
      grant_type: 'authorization_code',
      client_id: client.client_id,
      code,
      code_verifier: verifier,
      redirect_uri: redirect,
    });
    expect(res.status).toBe(200);
    return { tokens: res.body as Record<string, string>, hosts };
  }

  it('continues on replica B a flow started on replica A (callback and consent on B, token on A)', async () => {
    const { tokens, hosts } = await login('alice', (u) => u.pathname !== '/authorize');
    expect(hosts).toEqual(['/authorize -> A', '/callback -> B', '/consent -> B', '/consent -> B']);
    // A refresh on B of what A issued, and both verify the same signature (same key, same kid).
    const refreshed = await form(`${b.apiUrl}/token`, {
      grant_type: 'refresh_token',
      client_id: client.client_id,
      refresh_token: tokens.refresh_token,
    });
    expect(refreshed.status).toBe(200);
    const jwksA = await (await fetch(`${a.apiUrl}/jwks`)).json();
    expect(await (await fetch(`${b.apiUrl}/jwks`)).json()).toEqual(jwksA);
  });

  it('lists clients, sessions and tokens by user and client, and revokes a user everywhere (admin only)', async () => {
    const bob = await login('bob', () => false);
    const sessions = await a.api<
      { user: string; client_id: string; resources: string[]; valid_refresh_tokens: number }[]
    >('GET', '/api/v1/oauth/sessions?user=bob');
    expect(sessions.status).toBe(200);
    expect(sessions.body).toEqual([
      expect.objectContaining({
        user: 'bob',
        client_id: client.client_id,
        resources: [RESOURCE_A],
        valid_refresh_tokens: 1,
        active_access_tokens: 1,
      }),
    ]);
    const byClient = await a.api<{ user: string }[]>('GET', `/api/v1/oauth/sessions?client_id=${client.client_id}`);
    expect(byClient.body.map((s) => s.user).sort()).toEqual(['alice', 'bob']);
    const tokens = await a.api<{ user: string; jti: string }[]>('GET', '/api/v1/oauth/tokens?user=bob');
    expect(tokens.body).toHaveLength(1);
    const clients = await a.api<{ client_id: string; kind: string; used: boolean }[]>('GET', '/api/v1/oauth/clients');
    expect(clients.body).toEqual([
      expect.objectContaining({ client_id: client.client_id, kind: 'dynamic', used: true }),
    ]);
    const metrics = await a.api('GET', '/api/v1/oauth/metrics');
    expect(metrics.body).toMatchObject({ clients: 1, clients_dynamic: 1, sessions: 2, users_with_sessions: 2 });

    const revoked = await b.api('DELETE', '/api/v1/oauth/users/bob/sessions');
    expect(revoked).toMatchObject({
      status: 200,
      body: { user: 'bob', sessions_revoked: 1, access_tokens_revoked: 1, login_sessions_deleted: 1 },
    });
    const refresh = await form(`${a.apiUrl}/token`, {
      grant_type: 'refresh_token',
      client_id: client.client_id,
      refresh_token: bob.tokens.refresh_token,
    });
    expect(refresh).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const introspect = await form(
      `${a.apiUrl}/introspect`,
      { token: bob.tokens.access_token },
      { authorization: `Bearer ${a.adminToken}` },
    );
    expect(introspect.body).toEqual({ active: false });
    expect((await a.api<unknown[]>('GET', '/api/v1/oauth/sessions?user=bob')).body).toEqual([]);

    // Not for API tokens other than the admin's, nor anonymous callers.
    const token = await a.api<{ token: string }>('POST', '/api/v1/tokens', { body: { name: 'ops' } });
    expect((await a.api('GET', '/api/v1/oauth/sessions', { token: token.body.token })).status).toBe(403);
    expect((await a.api('GET', '/api/v1/oauth/clients', { token: null })).status).toBe(401);
    expect(
      (
        await form(
          `${a.apiUrl}/introspect`,
          { token: bob.tokens.access_token },
          { authorization: `Bearer ${token.body.token}` },
        )
      ).status,
    ).toBe(401);
  });

  it('keeps a concurrent refresh within the grace period from locking the user out', async () => {
    const { tokens } = await login('alice', () => false);
    const [one, two] = await Promise.all([
      form(`${a.apiUrl}/token`, {
        grant_type: 'refresh_token',
        client_id: client.client_id,
        refresh_token: tokens.refresh_token,
      }),
      form(`${b.apiUrl}/token`, {
        grant_type: 'refresh_token',
        client_id: client.client_id,
        refresh_token: tokens.refresh_token,
      }),
    ]);
    expect([one.status, two.status]).toEqual([200, 200]);
    // Whichever answer the client kept still works.
    for (const kept of [one, two]) {
      const next = await form(`${a.apiUrl}/token`, {
        grant_type: 'refresh_token',
        client_id: client.client_id,
        refresh_token: kept.body.refresh_token as string,
      });
      expect(next.status).toBe(200);
    }
  });

  it('deletes a client with its sessions', async () => {
    const deleted = await a.api('DELETE', `/api/v1/oauth/clients/${client.client_id}`);
    expect(deleted).toMatchObject({ status: 200, body: { client_id: client.client_id } });
    expect((await a.api<unknown[]>('GET', `/api/v1/oauth/sessions?client_id=${client.client_id}`)).body).toEqual([]);
    expect((await a.api('GET', `/api/v1/oauth/clients/${client.client_id}`)).status).toBe(404);
  });
});
