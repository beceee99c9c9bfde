import { createHash, randomBytes } from 'node:crypto';
import { GithubStandin } from '../support/github-standin';
import { OAuthBrowser } from '../support/oauth-browser';
import { ServerProcess } from '../support/server-process';
import { form, registerClient, RESOURCE_A, RESOURCE_B, startOAuthServer } from './oauth-fixture';

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/** Every refusal of the authorization and token endpoints, with its exact status and error. */
describe('OAuth authorization server: refusals', () => {
  let github: GithubStandin;
  let server: ServerProcess;
  let client: Record<string, string>;
  let other: Record<string, string>;
  const redirect = 'https://app.example.test/callback';

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startOAuthServer(github, { OAUTH_REFRESH_GRACE_SECONDS: '0' });
    client = await registerClient(server, {
      client_name: 'Negative <b>Test</b>',
      redirect_uris: [redirect, 'http://localhost/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
    });
    other = await registerClient(server, {
      client_name: 'Other',
      redirect_uris: [redirect],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
    });
  });
  beforeEach(() => github.signIn('alice'));
  afterAll(async () => {
    await server.stop();
    await github.stop();
  });

  function authorizeUrl(params: Record<string, string | undefined>): URL {
    const url = new URL(`${server.apiUrl}/authorize`);
    const all: Record<string, string | undefined> = {
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: redirect,
      state: 'st-1',
      code_challenge_method: 'S256',
      ...params,
    };
    for (const [k, v] of Object.entries(all)) if (v !== undefined) url.searchParams.set(k, v);
    return url;
  }

  /** A full login; returns the code and the verifier it is bound to. */
  async function code(
    params: Record<string, string | undefined> = {},
    browser = new OAuthBrowser(),
  ): Promise<{ code: string; verifier: string; callback: URL }> {
    const verifier = randomBytes(32).toString('base64url');
    const flow = await browser.authorize(
      authorizeUrl({ code_challenge: s256(verifier), ...params }),
      (params.redirect_uri ?? redirect).replace(/\/callback$/, ''),
    );
    const c = flow.callback?.searchParams.get('code');
    if (!c) throw new Error(`no code: ${flow.callback?.toString() ?? JSON.stringify(flow.page)}`);
    return { code: c, verifier, callback: flow.callback! };
  }

  const token = (params: Record<string, string | string[]>) => form(`${server.apiUrl}/token`, params);

  it('shows the consent page (escaped, not frameable) once per user and client, then remembers it', async () => {
    const browser = new OAuthBrowser();
    const start = await browser.request(authorizeUrl({ code_challenge: s256(randomBytes(32).toString('base64url')) }));
    expect(start.status).toBe(302);
    const toGithub = new URL(start.headers.get('location')!);
    expect(toGithub.origin + toGithub.pathname).toBe(`${github.url}/login/oauth/authorize`);
    const fromGithub = await fetch(toGithub, { redirect: 'manual' });
    const back = await browser.request(new URL(fromGithub.headers.get('location')!));
    expect(back.status).toBe(302);
    expect(start.headers.getSetCookie()).toEqual([
      expect.stringMatching(/^oauth_flow=[A-Za-z0-9_-]+; Path=\/callback; HttpOnly; SameSite=Lax; Max-Age=600$/),
    ]);
    expect(back.headers.getSetCookie()).toEqual([
      expect.stringMatching(/^oauth_session=[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=28800$/),
      'oauth_flow=; Path=/callback; HttpOnly; SameSite=Lax; Max-Age=0',
    ]);
    const consentUrl = new URL(back.headers.get('location')!);
    expect(consentUrl.pathname).toBe('/consent');
    const page = await browser.request(consentUrl);
    expect(page.status).toBe(200);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const html = await page.text();
    expect(html).toContain('Authorize Negative &lt;b&gt;Test&lt;/b&gt;?');
    expect(html).toContain('<code>app.example.test</code>');
    expect(html).toContain('<code>mcp:read</code>');

    // Without the browser's session cookie the page is refused; a forged CSRF token is refused.
    expect((await fetch(consentUrl)).status).toBe(400);
    const id = consentUrl.searchParams.get('id')!;
    const forged = await browser.request(new URL(`${server.apiUrl}/consent`), {
      method: 'POST',
      body: `id=${id}&csrf_token=forged&decision=approve`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(forged.status).toBe(403);
    const crossSite = await browser.request(new URL(`${server.apiUrl}/consent`), {
      method: 'POST',
      body: `id=${id}&csrf_token=x&decision=approve`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
    });
    expect(crossSite.status).toBe(403);

    // Approve through the real form; a second authorization skips both GitHub and consent.
    const approved = await browser.authorize(consentUrl, redirect);
    expect(approved.callback?.searchParams.get('code')).toMatch(/^ac_/);
    const before = github.requests.length;
    const again = await browser.authorize(
      authorizeUrl({ code_challenge: s256(randomBytes(32).toString('base64url')) }),
      redirect,
    );
    expect(again.hops).toHaveLength(2);
    expect(again.callback?.searchParams.get('code')).toMatch(/^ac_/);
    expect(github.requests.length).toBe(before);
  });

  it('refuses a GitHub return in a browser that did not start the sign-in (login CSRF)', async () => {
    const attacker = new OAuthBrowser();
    const start = await attacker.request(authorizeUrl({ code_challenge: s256(randomBytes(32).toString('base64url')) }));
    const fromGithub = await fetch(new URL(start.headers.get('location')!), { redirect: 'manual' });
    const callback = new URL(fromGithub.headers.get('location')!);
    const victim = await fetch(callback, { redirect: 'manual' });
    expect(victim.status).toBe(400);
    expect(victim.headers.get('location')).toBeNull();
    expect(await victim.text()).toContain('This sign-in was not started in this browser');
    // The request was not consumed by the refused attempt: the right browser still completes it.
    const own = await attacker.request(callback);
    expect(own.status).toBe(302);
  });

  it('refuses a missing PKCE challenge and the plain method, redirecting with iss and state', async () => {
    for (const [params, description] of [
      [{ code_challenge: undefined, code_challenge_method: undefined }, 'code_challenge is required (PKCE with S256)'],
      [
        { code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' },
        'code_challenge_method must be S256 (got "plain")',
      ],
    ] as const) {
      const res = await fetch(authorizeUrl(params), { redirect: 'manual' });
      expect(res.status).toBe(302);
      const location = new URL(res.headers.get('location')!);
      expect(location.origin + location.pathname).toBe(redirect);
      expect(Object.fromEntries(location.searchParams)).toEqual({
        error: 'invalid_request',
        error_description: description,
        state: 'st-1',
        iss: server.apiUrl,
      });
    }
  });

  it('refuses unregistered redirect URIs on its own page, http://localhost.evil.com included', async () => {
    for (const uri of [
      'https://app.example.test/other',
      'https://app.example.test/callback/',
      'http://localhost.evil.com/callback',
      'http://localhost.evil.com:8080/callback',
    ]) {
      const res = await fetch(authorizeUrl({ redirect_uri: uri, code_challenge: 'x'.repeat(43) }), {
        redirect: 'manual',
      });
      expect({ uri, status: res.status, location: res.headers.get('location') }).toEqual({
        uri,
        status: 400,
        location: null,
      });
      expect(await res.text()).toContain('is not registered for this application');
    }
    const evil = await fetch(`${server.apiUrl}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['http://localhost.evil.com/callback'] }),
    });
    expect(evil.status).toBe(400);
    expect(evil.headers.get('cache-control')).toBe('no-store');
    expect(await evil.json()).toEqual({
      error: 'invalid_redirect_uri',
      error_description:
        '"http://localhost.evil.com/callback" must use https (http is allowed only for localhost, 127.0.0.1 and [::1])',
    });
  });

  it('accepts a loopback redirect URI with another port (RFC 8252 §7.3) and requires the same one at the token endpoint', async () => {
    const { code: c, verifier } = await code({ redirect_uri: 'http://localhost:54321/callback' });
    const other = await token({
      grant_type: 'authorization_code',
      client_id: client.client_id,
      code: c,
      code_verifier: verifier,
      redirect_uri: 'http://localhost:54321/callback',
    });
    expect(other.status).toBe(200);
    expect(other.body.token_type).toBe('Bearer');
    const { code: c2, verifier: v2 } = await code({ redirect_uri: 'http://localhost:54321/callback' });
    const changed = await token({
      grant_type: 'authorization_code',
      client_id: client.client_id,
      code: c2,
      code_verifier: v2,
      redirect_uri: 'http://localhost:54322/callback',
    });
    expect(changed).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'redirect_uri does not match the authorization request' },
    });
  });

  it('answers a wrong code_verifier with invalid_grant (no-store, top-level JSON)', async () => {
    const { code: c } = await code();
    const res = await token({
      grant_type: 'authorization_code',
      client_id: client.client_id,
      code: c,
      code_verifier: randomBytes(32).toString('base64url'),
      redirect_uri: redirect,
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual({
      error: 'invalid_grant',
      error_description: 'code_verifier does not match the code_challenge',
    });
    const missing = await token({
      grant_type: 'authorization_code',
      client_id: client.client_id,
      code: 'ac_x',
      redirect_uri: redirect,
    });
    expect(missing).toMatchObject({
      status: 400,
      body: { error: 'invalid_request', error_description: 'code_verifier is required (PKCE)' },
    });
  });

  it('refuses a code presented by another client', async () => {
    const { code: c, verifier } = await code();
    const res = await token({
      grant_type: 'authorization_code',
      client_id: other.client_id,
      code: c,
      code_verifier: verifier,
      redirect_uri: redirect,
    });
    expect(res).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'the authorization code was issued to another client' },
    });
  });

  it('refuses a reused code and revokes the tokens it issued', async () => {
    const { code: c, verifier } = await code({ resource: RESOURCE_A });
    const first = await token({
      grant_type: 'authorization_code',
      client_id: client.client_id,
      code: c,
      code_verifier: verifier,
      redirect_uri: redirect,
    });
    expect(first.status).toBe(200);
    const second = await token({
      grant_type: 'authorization_code',
      client_id: client.client_id,
      code: c,
      code_verifier: verifier,
      redirect_uri: redirect,
    });
    expect(second).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'the authorization code was already used' },
    });
    const refresh = await token({
      grant_type: 'refresh_token',
      client_id: client.client_id,
      refresh_token: first.body.refresh_token as string,
    });
    expect(refresh).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const introspect = await form(
      `${server.apiUrl}/introspect`,
      { token: first.body.access_token as string },
      { authorization: `Bearer ${server.adminToken}` },
    );
    expect(introspect.body).toEqual({ active: false });
  });

  it('answers invalid_target for a resource that was not authorised, and normalises a trailing slash', async () => {
    const { code: c, verifier } = await code({ resource: `${RESOURCE_A}/` });
    const wrong = await token({
      grant_type: 'authorization_code',
      client_id: client.client_id,
      code: c,
      code_verifier: verifier,
      redirect_uri: redirect,
      resource: RESOURCE_B,
    });
    expect(wrong).toMatchObject({
      status: 400,
      body: { error: 'invalid_target', error_description: `resource ${RESOURCE_B} was not authorised for this grant` },
    });
    const { code: c2, verifier: v2 } = await code({ resource: RESOURCE_A });
    const ok = await token({
      grant_type: 'authorization_code',
      client_id: client.client_id,
      code: c2,
      code_verifier: v2,
      redirect_uri: redirect,
      resource: `${RESOURCE_A}/`,
    });
    expect(ok.status).toBe(200);
    const claims = JSON.parse(Buffer.from((ok.body.access_token as string).split('.')[1], 'base64url').toString()) as {
      aud: string;
    };
    expect(claims.aud).toBe(RESOURCE_A);
    const refreshWrong = await token({
      grant_type: 'refresh_token',
      client_id: client.client_id,
      refresh_token: ok.body.refresh_token as string,
      resource: RESOURCE_B,
    });
    expect(refreshWrong).toMatchObject({ status: 400, body: { error: 'invalid_target' } });
  });

  it('revokes the whole refresh family when a rotated refresh token is replayed after the grace period', async () => {
    const { code: c, verifier } = await code();
    const first = await token({
      grant_type: 'authorization_code',
      client_id: client.client_id,
      code: c,
      code_verifier: verifier,
      redirect_uri: redirect,
    });
    const r0 = first.body.refresh_token as string;
    const rotated = await token({ grant_type: 'refresh_token', client_id: client.client_id, refresh_token: r0 });
    expect(rotated.status).toBe(200);
    const r1 = rotated.body.refresh_token as string;
    expect(r1).not.toBe(r0);
    const replay = await token({ grant_type: 'refresh_token', client_id: client.client_id, refresh_token: r0 });
    expect(replay).toMatchObject({
      status: 400,
      body: {
        error: 'invalid_grant',
        error_description: 'the refresh token was already used; the grant has been revoked',
      },
    });
    const afterReplay = await token({ grant_type: 'refresh_token', client_id: client.client_id, refresh_token: r1 });
    expect(afterReplay).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'the refresh token is invalid, expired or revoked' },
    });
    const otherClient = await token({ grant_type: 'refresh_token', client_id: other.client_id, refresh_token: r1 });
    expect(otherClient.status).toBe(400);
  });

  it('sends a user who is not on OAUTH_ALLOWED_GITHUB_USERS back with access_denied', async () => {
    github.signIn('mallory');
    const flow = await new OAuthBrowser().authorize(
      authorizeUrl({ code_challenge: s256(randomBytes(32).toString('base64url')) }),
      redirect,
    );
    expect(Object.fromEntries(flow.callback!.searchParams)).toEqual({
      error: 'access_denied',
      error_description: 'GitHub user mallory is not allowed to sign in here',
      state: 'st-1',
      iss: server.apiUrl,
    });
  });

  it('answers the deny button with access_denied', async () => {
    github.signIn('bob');
    const flow = await new OAuthBrowser({ consent: 'deny' }).authorize(
      authorizeUrl({ code_challenge: s256(randomBytes(32).toString('base64url')) }),
      redirect,
    );
    expect(Object.fromEntries(flow.callback!.searchParams)).toEqual({
      error: 'access_denied',
      error_description: 'the user denied access',
      state: 'st-1',
      iss: server.apiUrl,
    });
  });

  it('gives no refresh token to a client registered for authorization_code only', async () => {
    const codeOnly = await registerClient(server, {
      redirect_uris: [redirect],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
    });
    const { code: c, verifier } = await code({ client_id: codeOnly.client_id });
    const res = await token({
      grant_type: 'authorization_code',
      client_id: codeOnly.client_id,
      code: c,
      code_verifier: verifier,
      redirect_uri: redirect,
    });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
    expect(
      await token({ grant_type: 'refresh_token', client_id: codeOnly.client_id, refresh_token: 'rt_x' }),
    ).toMatchObject({ status: 400, body: { error: 'unauthorized_client' } });
  });

  it('refuses unsupported grants, unknown clients, and public clients sending secrets', async () => {
    expect(await token({ grant_type: 'password', client_id: client.client_id })).toMatchObject({
      status: 400,
      body: { error: 'unsupported_grant_type' },
    });
    const unknown = await token({
      grant_type: 'authorization_code',
      client_id: 'client_nope',
      code: 'x',
      code_verifier: 'y',
    });
    expect(unknown).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect(unknown.headers.get('www-authenticate')).toBe('Basic realm="oauth"');
    const malformed = await fetch(`${server.apiUrl}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"redirect_uris": ',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('cache-control')).toBe('no-store');
    expect(await malformed.json()).toEqual({
      error: 'invalid_request',
      error_description: expect.stringContaining('JSON'),
    });
    const withSecret = await token({
      grant_type: 'refresh_token',
      client_id: client.client_id,
      client_secret: 'guess',
      refresh_token: 'rt_x',
    });
    expect(withSecret).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  });
});
