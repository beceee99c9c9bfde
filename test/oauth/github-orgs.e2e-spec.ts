import { GithubStandin } from '../support/github-standin';
import { OAuthBrowser } from '../support/oauth-browser';
import { storePolicy } from '../support/mcp-policy';
import { ServerProcess } from '../support/server-process';
import { waitFor, waitUntil } from '../support/wait';
import {
  authorizeAndRedeem,
  authorizeUrl,
  claimsOf,
  form,
  RESOURCE_A,
  RESOURCE_B,
  registerClient,
  s256,
  startOAuthServer,
} from './oauth-fixture';

const REDIRECT = 'https://app.example.test/callback';
/** Short, so a user leaving loses access within the test (the default is 600 s). */
const TTL = 5;

/**
 * GitHub organisations and teams at the authorization server (docs/oauth.md, "Organisations and
 * teams"): admission by membership (OAUTH_ALLOWED_GITHUB_ORGS / _TEAMS), the `orgs` / `teams`
 * claims and their `exp` cap, joining and leaving while the GitHub stand-in runs, read:org asked
 * only when memberships matter, and a GitHub Enterprise base URL alone.
 */
describe('GitHub organisations and teams', () => {
  let github: GithubStandin;
  let server: ServerProcess;
  let client: Record<string, string>;

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startOAuthServer(github, {
      OAUTH_ALLOWED_GITHUB_USERS: 'alice',
      OAUTH_ALLOWED_GITHUB_ORGS: 'acme',
      OAUTH_ALLOWED_GITHUB_TEAMS: 'globex/platform',
      OAUTH_GITHUB_MEMBERSHIP_TTL_SECONDS: String(TTL),
    });
    client = await registerClient(server, {
      client_name: 'Org test',
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'none',
    });
  });
  afterAll(async () => {
    await server?.stop();
    await github?.stop();
  });

  /** A whole sign-in of `login` in a fresh browser: the code's redemption, or where it stopped. */
  async function signIn(login: string, resource = RESOURCE_A) {
    github.signIn(login);
    return authorizeAndRedeem(server, new OAuthBrowser(), {
      client_id: client.client_id,
      redirect_uri: REDIRECT,
      resource,
    });
  }

  /** A sign-in expected to be refused: the error the client is sent back with. */
  async function refused(login: string): Promise<Record<string, string>> {
    github.signIn(login);
    const flow = await new OAuthBrowser().authorize(
      authorizeUrl(server, { client_id: client.client_id, redirect_uri: REDIRECT, resource: RESOURCE_A }, s256('v')),
      REDIRECT,
    );
    return Object.fromEntries(flow.callback?.searchParams ?? []);
  }

  const refresh = (refreshToken: string) =>
    form(`${server.apiUrl}/token`, {
      grant_type: 'refresh_token',
      client_id: client.client_id,
      refresh_token: refreshToken,
    });

  it('admits a member of an allowed organisation (read:org asked, its login lower-cased) with the claim and a capped exp', async () => {
    github.join('carol', 'Acme');
    const before = github.authorizeScopes.length;
    const { token } = await signIn('carol');
    expect(github.authorizeScopes.slice(before)).toEqual(['read:user,user:email,read:org']);
    const claims = claimsOf(token.access_token);
    expect(claims).toMatchObject({ login: 'carol', orgs: ['acme'], teams: [] });
    expect((claims.exp as number) - (claims.iat as number)).toBeLessThanOrEqual(TTL);
    expect(token.expires_in).toBe((claims.exp as number) - (claims.iat as number));
    // Introspection shows them too.
    const introspected = await form(
      `${server.apiUrl}/introspect`,
      { token: token.access_token as string },
      { authorization: `Bearer ${server.adminToken}` },
    );
    expect(introspected.body).toMatchObject({ active: true, username: 'carol', orgs: ['acme'], teams: [] });
  });

  it('refuses a non-member, and a pending invitation, with a message that says why', async () => {
    github.join('dave', 'initech');
    github.join('heidi', 'acme', 'pending');
    for (const login of ['dave', 'heidi'])
      expect(await refused(login)).toMatchObject({
        error: 'access_denied',
        error_description: `GitHub user ${login} is not allowed to sign in here (not listed, nor a member of an allowed GitHub organisation or team)`,
      });
  });

  it('reads every page of the memberships (Link rel="next")', async () => {
    github.pageSize = 1;
    try {
      for (const org of ['one', 'two', 'acme']) github.join('ivan', org);
      const before = github.requests.length;
      const { token } = await signIn('ivan');
      expect(claimsOf(token.access_token)).toMatchObject({ orgs: ['acme'] });
      expect(github.requests.slice(before).filter((r) => r === 'GET /user/memberships/orgs')).toHaveLength(3);
    } finally {
      github.pageSize = 100;
    }
  });

  it('admits someone who joins the organisation after being refused', async () => {
    expect(await refused('erin')).toMatchObject({ error: 'access_denied' });
    github.join('erin', 'acme');
    const { token } = await signIn('erin');
    expect(claimsOf(token.access_token)).toMatchObject({ login: 'erin', orgs: ['acme'] });
  });

  it('refuses the refresh of someone who left, within the membership TTL (invalid_grant, grant revoked)', async () => {
    github.join('frank', 'acme');
    const { token } = await signIn('frank');
    github.leave('frank', 'acme');
    // Within the TTL the memberships read at sign-in still hold; once they are re-read, the grant ends.
    let current = token.refresh_token as string;
    const ended = await waitFor(
      'the refresh of a user who left the organisation to be refused',
      async () => {
        const res = await refresh(current);
        if (res.status === 200) current = res.body.refresh_token as string;
        return res;
      },
      (res) => res.status !== 200,
      { timeoutMs: (TTL + 5) * 1000, intervalMs: 250 },
    );
    expect(ended).toMatchObject({
      status: 400,
      body: {
        error: 'invalid_grant',
        error_description:
          'GitHub user frank may no longer sign in here (not listed, nor a member of an allowed GitHub organisation or team)',
      },
    });
    const introspected = await form(
      `${server.apiUrl}/introspect`,
      { token: token.access_token as string },
      { authorization: `Bearer ${server.adminToken}` },
    );
    expect(introspected.body).toEqual({ active: false });
  });

  it('keeps the grant of a member who stays, with the current memberships', async () => {
    github.join('grace', 'acme');
    const { token } = await signIn('grace');
    github.joinTeam('grace', 'globex/platform');
    let current = token.refresh_token as string;
    const next = await waitFor(
      'a refreshed token to carry the team joined after sign-in',
      async () => {
        const res = await refresh(current);
        if (res.status === 200) current = res.body.refresh_token as string;
        return res;
      },
      (res) => res.status !== 200 || (claimsOf(res.body.access_token).teams as string[]).length > 0,
      { timeoutMs: (TTL + 5) * 1000, intervalMs: 250 },
    );
    expect(next.status).toBe(200);
    expect(claimsOf(next.body.access_token)).toMatchObject({ orgs: ['acme'], teams: ['globex/platform'] });
  });

  it('names the team that admitted the user on the consent page and in the teams claim', async () => {
    github.joinTeam('judy', 'Globex/platform');
    const { token, consentPages } = await signIn('judy');
    expect(consentPages).toHaveLength(1);
    expect(consentPages[0]).toContain('<p>You may use this as a member of the team <code>globex/platform</code>.</p>');
    expect(claimsOf(token.access_token)).toMatchObject({ orgs: [], teams: ['globex/platform'] });
  });

  it('refuses a member while GitHub cannot answer, saying so (nothing cached for that)', async () => {
    github.join('mallory', 'acme');
    github.apiDown = true;
    try {
      expect(await refused('mallory')).toMatchObject({
        error: 'access_denied',
        error_description:
          'GitHub user mallory is not allowed to sign in here: its GitHub organisation and team memberships could not be read; try again later',
      });
    } finally {
      github.apiDown = false;
    }
    const { token } = await signIn('mallory');
    expect(claimsOf(token.access_token)).toMatchObject({ orgs: ['acme'] });
  });

  it('keeps the GitHub token sealed at rest, never in clear', async () => {
    const { testRedisClient } = await import('../support/test-redis');
    const redis = testRedisClient();
    try {
      const user = github.signIn('mallory'); // signed in by the test above, within the TTL
      const sealed = await redis.get(`{${server.keyPrefix}}:oauth:github-token:${user.id}`);
      expect(sealed).toMatch(/^v1\./);
      for (const issued of github.issuedTokens) expect(sealed).not.toContain(issued);
      const cached = JSON.parse((await redis.get(`{${server.keyPrefix}}:oauth:github-membership:${user.id}`))!);
      expect(cached).toMatchObject({ orgs: ['acme'], teams: [] });
      expect(await redis.pttl(`{${server.keyPrefix}}:oauth:github-membership:${user.id}`)).toBeLessThanOrEqual(
        TTL * 1000,
      );
    } finally {
      redis.disconnect();
    }
  });
});

describe('read:org only when an organisation or team is named', () => {
  let github: GithubStandin;
  let server: ServerProcess;
  let client: Record<string, string>;

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startOAuthServer(github, { OAUTH_ALLOWED_GITHUB_USERS: 'alice' });
    client = await registerClient(server, {
      client_name: 'Scope test',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
    });
    github.signIn('alice');
    github.join('alice', 'Initech');
  });
  afterAll(async () => {
    await server?.stop();
    await github?.stop();
  });

  /** The scope our server asks GitHub for, for a sign-in for `resource` (a fresh browser). */
  async function askedScope(resource: string): Promise<string | null> {
    const res = await new OAuthBrowser().request(
      authorizeUrl(server, { client_id: client.client_id, redirect_uri: REDIRECT, resource }, s256('v')),
    );
    return new URL(res.headers.get('location')!).searchParams.get('scope');
  }

  it('asks only read:user,user:email while nothing names one; the token has no membership claims', async () => {
    expect(await askedScope(RESOURCE_A)).toBe('read:user,user:email');
    const before = github.requests.length;
    const { token } = await authorizeAndRedeem(server, new OAuthBrowser(), {
      client_id: client.client_id,
      redirect_uri: REDIRECT,
      resource: RESOURCE_A,
    });
    expect(claimsOf(token.access_token)).not.toHaveProperty('orgs');
    expect(github.requests.slice(before)).not.toContain('GET /user/teams');
  });

  it('asks read:org for a resource whose MCP policy names an organisation, and the token carries it', async () => {
    const listed = await server.api<{ id: string; uri: string }[]>('GET', '/api/v1/resources');
    const b = listed.body.find((r) => r.uri === RESOURCE_B)!;
    await storePolicy(server.keyPrefix, b.id, { rules: [{ id: 'members', method: 'tools/call', orgs: ['initech'] }] });
    await waitUntil(
      'the policy naming initech to be served',
      async () => (await askedScope(RESOURCE_B))?.includes('read:org') ?? false,
    );
    expect(await askedScope(RESOURCE_A)).toBe('read:user,user:email');
    // The browser signed in above (without read:org) goes to GitHub again for B.
    const browser = new OAuthBrowser();
    await authorizeAndRedeem(server, browser, {
      client_id: client.client_id,
      redirect_uri: REDIRECT,
      resource: RESOURCE_A,
    });
    const before = github.authorizeScopes.length;
    const { token } = await authorizeAndRedeem(server, browser, {
      client_id: client.client_id,
      redirect_uri: REDIRECT,
      resource: RESOURCE_B,
    });
    expect(github.authorizeScopes.slice(before)).toEqual(['read:user,user:email,read:org']);
    expect(claimsOf(token.access_token)).toMatchObject({ aud: RESOURCE_B, orgs: ['initech'], teams: [] });
  });
});

describe('GitHub Enterprise Server: GITHUB_BASE_URL alone', () => {
  let github: GithubStandin;
  let server: ServerProcess;

  beforeAll(async () => {
    github = await GithubStandin.start({ enterprise: true, prefix: '/github' });
    expect(github.env).not.toHaveProperty('GITHUB_API_URL');
    server = await startOAuthServer(github, {
      OAUTH_ALLOWED_GITHUB_USERS: '',
      OAUTH_ALLOWED_GITHUB_TEAMS: 'acme/platform',
    });
  });
  afterAll(async () => {
    await server?.stop();
    await github?.stop();
  });

  it('signs a team member in through <base>/login/oauth and reads the API at <base>/api/v3', async () => {
    const client = await registerClient(server, {
      client_name: 'GHE',
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
    });
    github.signIn('kim');
    github.joinTeam('kim', 'acme/platform');
    const browser = new OAuthBrowser();
    const first = await browser.request(
      authorizeUrl(server, { client_id: client.client_id, redirect_uri: REDIRECT }, s256('v')),
    );
    expect(first.headers.get('location')).toMatch(new RegExp(`^${github.baseUrl}/login/oauth/authorize\\?`));
    const { token } = await authorizeAndRedeem(server, new OAuthBrowser(), {
      client_id: client.client_id,
      redirect_uri: REDIRECT,
    });
    expect(claimsOf(token.access_token)).toMatchObject({ login: 'kim', teams: ['acme/platform'] });
    // The stand-in serves the API only under /github/api/v3 in this mode.
    expect(github.requests).toEqual(
      expect.arrayContaining(['GET /user', 'GET /user/memberships/orgs', 'GET /user/teams']),
    );
  });
});
