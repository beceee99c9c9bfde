import { GithubStandin } from '../support/github-standin';
import { OAuthBrowser } from '../support/oauth-browser';
import { ServerProcess } from '../support/server-process';
import { waitFor } from '../support/wait';
import {
  authorizeAndRedeem,
  authorizeUrl,
  claimsOf,
  form,
  RESOURCE_A,
  registerClient,
  s256,
  startOAuthServer,
} from '../oauth/oauth-fixture';

const REDIRECT = 'https://app.example.test/callback';
const TTL = 5;

/**
 * Decisions on what GitHub answers about memberships (GithubMemberships, Memberships,
 * SignInAdmission, GrantTokens): the user's GitHub token never follows a next page to another
 * origin, a token GitHub refuses (revoked) means no membership, read:org withheld by the user means
 * no membership, and a token names only the memberships that are named here (no other organisation
 * of the user leaks into it).
 */
describe('GitHub memberships: what the authorization server believes', () => {
  let github: GithubStandin;
  let elsewhere: GithubStandin;
  let server: ServerProcess;
  let client: Record<string, string>;

  beforeAll(async () => {
    github = await GithubStandin.start();
    elsewhere = await GithubStandin.start();
    server = await startOAuthServer(github, {
      OAUTH_ALLOWED_GITHUB_USERS: '',
      OAUTH_ALLOWED_GITHUB_ORGS: 'acme',
      OAUTH_GITHUB_MEMBERSHIP_TTL_SECONDS: String(TTL),
    });
    client = await registerClient(server, {
      client_name: 'Membership attacks',
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'none',
    });
  });
  afterAll(async () => {
    await server?.stop();
    await github?.stop();
    await elsewhere?.stop();
  });

  async function attempt(login: string) {
    github.signIn(login);
    return new OAuthBrowser().authorize(
      authorizeUrl(server, { client_id: client.client_id, redirect_uri: REDIRECT, resource: RESOURCE_A }, s256('v')),
      REDIRECT,
    );
  }

  it('does not follow a Link next page to another origin (the GitHub token stays with GitHub)', async () => {
    for (const org of ['one', 'acme']) github.join('oscar', org);
    github.pageSize = 1;
    github.nextPageOrigin = elsewhere.url;
    try {
      const flow = await attempt('oscar');
      expect(Object.fromEntries(flow.callback!.searchParams)).toMatchObject({
        error: 'access_denied',
        error_description:
          'GitHub user oscar is not allowed to sign in here: its GitHub organisation and team memberships could not be read; try again later',
      });
      expect(elsewhere.requests).toEqual([]);
    } finally {
      github.pageSize = 100;
      github.nextPageOrigin = undefined;
    }
  });

  it('refuses a member who withheld read:org (memberships unknown)', async () => {
    github.join('peggy', 'acme');
    github.withheldScopes = ['read:org'];
    try {
      const flow = await attempt('peggy');
      expect(flow.callback?.searchParams.get('error_description')).toBe(
        'GitHub user peggy is not allowed to sign in here: its GitHub organisation and team memberships could not be read (read:org was not granted)',
      );
    } finally {
      github.withheldScopes = [];
    }
  });

  it('names only the organisations named here, never the user’s others', async () => {
    for (const org of ['acme', 'secret-project']) github.join('rupert', org);
    github.signIn('rupert');
    const { token } = await authorizeAndRedeem(server, new OAuthBrowser(), {
      client_id: client.client_id,
      redirect_uri: REDIRECT,
      resource: RESOURCE_A,
    });
    expect(claimsOf(token.access_token)).toMatchObject({ orgs: ['acme'], teams: [] });
  });

  it('ends the grant when GitHub refuses the kept token (revoked): no membership', async () => {
    github.join('sybil', 'acme');
    github.signIn('sybil');
    const { token } = await authorizeAndRedeem(server, new OAuthBrowser(), {
      client_id: client.client_id,
      redirect_uri: REDIRECT,
      resource: RESOURCE_A,
    });
    github.revokeTokensOf('sybil');
    let current = token.refresh_token as string;
    const ended = await waitFor(
      'the refresh after the GitHub token was revoked to be refused',
      async () => {
        const res = await form(`${server.apiUrl}/token`, {
          grant_type: 'refresh_token',
          client_id: client.client_id,
          refresh_token: current,
        });
        if (res.status === 200) current = res.body.refresh_token as string;
        return res;
      },
      (res) => res.status !== 200,
      { timeoutMs: (TTL + 5) * 1000, intervalMs: 250 },
    );
    expect(ended).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(server.logs).toContain('GitHub refused the token of user');
  });
});
