import { createHash, randomBytes } from 'node:crypto';
import { GithubStandin } from '../support/github-standin';
import { OAuthBrowser } from '../support/oauth-browser';
import { ServerProcess } from '../support/server-process';
import { registerClient, startOAuthServer } from '../oauth/oauth-fixture';

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/**
 * The GitHub leg of the authorization flow (GithubLogin, GitHub's documented web flow): what is
 * sent to GitHub, that nothing is sent for a return this browser did not start, and how GitHub's
 * refusals reach the client (redirected with `state` and `iss`, never a bare 401).
 */
describe('GitHub login: the upstream leg of /authorize and /callback', () => {
  let github: GithubStandin;
  let server: ServerProcess;
  let client: Record<string, string>;
  const redirect = 'https://app.example.test/callback';

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startOAuthServer(github);
    client = await registerClient(server, {
      client_name: 'GitHub leg',
      redirect_uris: [redirect],
      token_endpoint_auth_method: 'none',
    });
  });
  beforeEach(() => github.signIn('alice'));
  afterAll(async () => {
    await server.stop();
    await github.stop();
  });

  /** Starts a sign-in in `browser`; returns GitHub's authorize URL our server sent it to. */
  async function start(browser: OAuthBrowser): Promise<URL> {
    const url = new URL(`${server.apiUrl}/authorize`);
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: redirect,
      state: 'st-gh',
      code_challenge: s256(randomBytes(32).toString('base64url')),
      code_challenge_method: 'S256',
    }))
      url.searchParams.set(k, v);
    const res = await browser.request(url);
    expect(res.status).toBe(302);
    return new URL(res.headers.get('location')!);
  }

  const clientRedirect = (res: Response) => {
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(redirect);
    return Object.fromEntries(location.searchParams);
  };

  it('sends the browser to GITHUB_BASE_URL with the callback, the scopes, our state and the client id', async () => {
    const toGithub = await start(new OAuthBrowser());
    expect(toGithub.origin + toGithub.pathname).toBe(`${github.url}/login/oauth/authorize`);
    const state = toGithub.searchParams.get('state');
    expect(state).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect([...toGithub.searchParams]).toEqual([
      ['response_type', 'code'],
      ['redirect_uri', `${server.apiUrl}/callback`],
      ['scope', 'read:user,user:email'],
      ['state', state],
      ['client_id', github.clientId],
    ]);
  });

  it('does not call GitHub for a return this browser did not start', async () => {
    const toGithub = await start(new OAuthBrowser());
    const before = github.requests.length;
    const forged = await fetch(
      `${server.apiUrl}/callback?state=${toGithub.searchParams.get('state')}&code=stolen-code`,
      { redirect: 'manual' },
    );
    expect(forged.status).toBe(400);
    expect(github.requests.slice(before)).toEqual([]);
  });

  it('redirects a code GitHub refuses to the client as server_error, with state and iss', async () => {
    const browser = new OAuthBrowser();
    const toGithub = await start(browser);
    const before = github.requests.length;
    const res = await browser.request(
      new URL(`${server.apiUrl}/callback?state=${toGithub.searchParams.get('state')}&code=not-a-github-code`),
    );
    expect(clientRedirect(res)).toEqual({
      error: 'server_error',
      error_description: 'GitHub login failed: Failed to obtain access token',
      state: 'st-gh',
      iss: server.apiUrl,
    });
    expect(github.requests.slice(before)).toEqual(['POST /login/oauth/access_token']);
  });

  it('redirects a return without a code as access_denied', async () => {
    const browser = new OAuthBrowser();
    const toGithub = await start(browser);
    const res = await browser.request(new URL(`${server.apiUrl}/callback?state=${toGithub.searchParams.get('state')}`));
    expect(clientRedirect(res)).toEqual({
      error: 'access_denied',
      error_description: 'GitHub did not sign the user in',
      state: 'st-gh',
      iss: server.apiUrl,
    });
  });

  it('signs the user in through GITHUB_API_URL: /user, then /user/emails', async () => {
    const browser = new OAuthBrowser();
    const toGithub = await start(browser);
    const before = github.requests.length;
    const flow = await browser.authorize(toGithub, redirect);
    expect(flow.page).toBeUndefined();
    expect(github.requests.slice(before)).toEqual([
      'GET /login/oauth/authorize',
      'POST /login/oauth/access_token',
      'GET /user',
      'GET /user/emails',
    ]);
  });
});
