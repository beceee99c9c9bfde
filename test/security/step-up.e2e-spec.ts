import { createHash, randomBytes } from 'node:crypto';
import {
  authorizeAndRedeem,
  authorizeUrl,
  form,
  registerClient,
  RESOURCE_A,
  s256,
  startOAuthServer,
} from '../oauth/oauth-fixture';
import { GithubStandin } from '../support/github-standin';
import { OAuthBrowser } from '../support/oauth-browser';
import { ServerProcess } from '../support/server-process';
import { testRedisClient } from '../support/test-redis';

/**
 * Step-up abuse at the authorization server: accumulated scopes never cross users, clients or
 * resources, never outlive the consent or OAUTH_SCOPES, never come from a denied or forged consent,
 * and refresh tokens never widen to what a later step-up holds.
 */
describe('step-up authorization: what a client cannot obtain', () => {
  let github: GithubStandin;
  let server: ServerProcess;
  let client: Record<string, string>;
  let other: Record<string, string>;
  const redirect = 'https://app.example.test/callback';

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startOAuthServer(github, { OAUTH_ALLOWED_GITHUB_USERS: '*' });
    const metadata = {
      redirect_uris: [redirect],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
    };
    client = await registerClient(server, { client_name: 'Stepping client', ...metadata });
    other = await registerClient(server, { client_name: 'Other client', ...metadata });
  });
  afterAll(async () => {
    await server.stop();
    await github.stop();
  });

  const params = (scope: string, clientId = client.client_id) => ({
    client_id: clientId,
    redirect_uri: redirect,
    scope,
    resource: RESOURCE_A,
  });
  const pageUrl = (browser: OAuthBrowser, scope: string) =>
    browser
      .request(authorizeUrl(server, params(scope), s256(randomBytes(32).toString('base64url'))))
      .then((res) => new URL(res.headers.get('location')!));

  /** Signs `login` in and steps the client up to mcp:read mcp:write on RESOURCE_A. */
  async function steppedUp(login: string): Promise<{ browser: OAuthBrowser; first: Record<string, unknown> }> {
    github.signIn(login);
    const browser = new OAuthBrowser();
    const first = (await authorizeAndRedeem(server, browser, params('mcp:read'))).token;
    const second = await authorizeAndRedeem(server, browser, params('mcp:read mcp:write'));
    expect(second.token.scope).toBe('mcp:read mcp:write');
    return { browser, first };
  }

  it("gives another client, or another user's session, nothing of a step-up", async () => {
    const { browser } = await steppedUp('dora');
    // Another client of the same user: its own consent page, for what it asks only.
    const otherFlow = await authorizeAndRedeem(server, browser, params('mcp:read', other.client_id));
    expect(otherFlow.consentPages).toHaveLength(1);
    expect(otherFlow.token.scope).toBe('mcp:read');
    // Another user with the same client: likewise.
    github.signIn('erin');
    const erin = await authorizeAndRedeem(server, new OAuthBrowser(), params('mcp:read'));
    expect(erin.consentPages).toHaveLength(1);
    expect(erin.token.scope).toBe('mcp:read');
  });

  it('records nothing for a denied step-up', async () => {
    github.signIn('fred');
    const browser = new OAuthBrowser();
    expect((await authorizeAndRedeem(server, browser, params('mcp:read'))).token.scope).toBe('mcp:read');
    const denied = await new OAuthBrowser({ consent: 'deny' }).authorize(
      await pageUrl(browser, 'mcp:read mcp:write'),
      redirect,
    );
    expect(denied.page?.status).toBe(400); // another browser (no session) cannot even see the page
    const own = await browserDeny(browser, await pageUrl(browser, 'mcp:read mcp:write'));
    expect(own.callback?.searchParams.get('error')).toBe('access_denied');
    const after = await authorizeAndRedeem(server, browser, params('mcp:read'));
    expect(after.consentPages).toEqual([]);
    expect(after.token.scope).toBe('mcp:read');
    // mcp:write still needs the page.
    expect((await pageUrl(browser, 'mcp:write')).pathname).toBe('/consent');
  });

  /** Denies the consent page at `url` in `browser` (its session cookie), through the page's own form. */
  async function browserDeny(browser: OAuthBrowser, url: URL) {
    const html = await (await browser.request(url)).text();
    const fields = new URLSearchParams();
    for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields.set(m[1], m[2]);
    fields.set('decision', 'deny');
    const res = await browser.request(new URL('/consent', server.apiUrl), {
      method: 'POST',
      body: fields.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(server.apiUrl).origin },
    });
    return { callback: new URL(res.headers.get('location')!) };
  }

  it('keeps the session and CSRF checks on a step-up consent page, and answers it once', async () => {
    github.signIn('gina');
    const browser = new OAuthBrowser();
    await authorizeAndRedeem(server, browser, params('mcp:read'));
    const url = await pageUrl(browser, 'mcp:read mcp:write');
    expect((await fetch(url)).status).toBe(400);
    const id = url.searchParams.get('id')!;
    const post = (body: string, b: OAuthBrowser = browser) =>
      b.request(new URL('/consent', server.apiUrl), {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
    expect((await post(`id=${id}&csrf_token=forged&decision=approve`)).status).toBe(403);
    const html = await (await browser.request(url)).text();
    const csrf = /name="csrf_token" value="([^"]+)"/.exec(html)![1];
    expect((await post(`id=${id}&csrf_token=${csrf}&decision=approve`, new OAuthBrowser())).status).toBe(403);
    const approved = await post(`id=${id}&csrf_token=${csrf}&decision=approve`);
    expect(approved.status).toBe(303);
    expect(new URL(approved.headers.get('location')!).searchParams.get('code')).toMatch(/^ac_/);
    // Answered: the same form again is refused (the approval request is gone).
    expect((await post(`id=${id}&csrf_token=${csrf}&decision=approve`)).status).toBe(403);
  });

  it('never widens a refresh to the scopes of a later step-up', async () => {
    const { first } = await steppedUp('hugo');
    const refresh = (scope?: string) =>
      form(`${server.apiUrl}/token`, {
        grant_type: 'refresh_token',
        client_id: client.client_id,
        refresh_token: String(first.refresh_token),
        ...(scope ? { scope } : {}),
      });
    expect(await refresh('mcp:read mcp:write')).toMatchObject({
      status: 400,
      body: { error: 'invalid_scope', error_description: 'scope mcp:write was not granted' },
    });
    expect(await refresh()).toMatchObject({ status: 200, body: { scope: 'mcp:read' } });
  });

  it('keeps no remembered scope the consent or OAUTH_SCOPES no longer allows', async () => {
    const user = github.signIn('ivan');
    const browser = new OAuthBrowser();
    expect((await authorizeAndRedeem(server, browser, params('mcp:read'))).token.scope).toBe('mcp:read');
    // What an expired consent leaves behind, or a scope the configuration dropped, in the remembered grant.
    const key = `{${server.keyPrefix}}:oauth:scope-grant:${user.id}:${client.client_id}:${createHash('sha256').update(RESOURCE_A).digest('hex')}`;
    const redis = testRedisClient();
    try {
      expect(await redis.get(key)).toBe('mcp:read');
      await redis.set(key, 'mcp:read mcp:write mcp:admin', 'EX', 600);
    } finally {
      redis.disconnect();
    }
    const after = await authorizeAndRedeem(server, browser, params('mcp:read'));
    expect(after.consentPages).toEqual([]);
    expect(after.token.scope).toBe('mcp:read');
  });
});
