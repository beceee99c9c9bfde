import { GithubStandin } from '../support/github-standin';
import { Backend, Echo, echoBackend, publicRequest } from '../support/loopback';
import { loopbackFetch } from '../support/loopback-fetch';
import { OAuthBrowser } from '../support/oauth-browser';
import type { ServerProcess } from '../support/server-process';
import { isDefined, waitFor } from '../support/wait';
import {
  AUTH_HOST,
  forgedTokens,
  obtainToken,
  protectTarget,
  signedToken,
  startProtectedServer,
} from './protection-fixture';

/**
 * Protected proxy targets (forward and passthrough modes) and /verify, through the public listener of
 * the built server: every refusal with its exact status, WWW-Authenticate and error, and what reaches
 * the backend.
 */
describe('protected proxy targets', () => {
  let github: GithubStandin;
  let server: ServerProcess & { issuer: string };
  let backend: Backend;
  let kid: string;
  let A: string;
  let B: string;
  let aliceA: { access_token: string; refresh_token: string; client_id: string };

  const call = (host: string, path: string, headers: Record<string, string> = {}, method = 'GET') =>
    publicRequest({ port: server.httpPort, host: `${host}:${server.httpPort}`, path, method, headers });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const metadataOf = (host: string) => `http://${host}:${server.httpPort}/.well-known/oauth-protected-resource/mcp`;

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startProtectedServer(github);
    backend = await echoBackend('protected');
    await protectTarget(
      server,
      'a.example.test',
      backend.url,
      { mode: 'forward', required_users: ['alice'], excluded_paths: ['/public'] },
      { endpoint: '/mcp' },
    );
    await protectTarget(
      server,
      'b.example.test',
      backend.url,
      { mode: 'forward', required_users: ['*'] },
      { endpoint: '/mcp' },
    );
    await protectTarget(server, 'pass.example.test', backend.url, { mode: 'passthrough' }, { endpoint: '/mcp' });
    await protectTarget(
      server,
      'optin.example.test',
      backend.url,
      { mode: 'forward', forward_authorization: true, header_prefix: 'X-User-' },
      { endpoint: '/mcp' },
    );
    await protectTarget(server, 'web.example.test', backend.url, { mode: 'redirect', required_users: ['alice'] });
    A = `http://a.example.test:${server.httpPort}/mcp`;
    B = `http://b.example.test:${server.httpPort}/mcp`;
    kid = ((await (await loopbackFetch(`${server.issuer}/jwks`)).json()) as { keys: { kid: string }[] }).keys[0].kid;
    aliceA = await obtainToken(server.issuer, github, 'alice', A);
  });
  afterAll(async () => {
    await backend?.close();
    await server?.stop();
    await github?.stop();
  });

  it('forwards a valid token with identity headers, without the client token and without forged identity headers', async () => {
    const res = await call('a.example.test', '/mcp/tools', {
      ...bearer(aliceA.access_token),
      'x-auth-user-name': 'mallory',
      'X-Auth-User-Id': '1',
      'x-auth-scopes': 'admin',
    });
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-expose-headers']).toBe('WWW-Authenticate, Mcp-Session-Id');
    const seen = res.json().headers;
    expect(seen['x-auth-user-name']).toBe('alice');
    expect(seen['x-auth-user-id']).toMatch(/^\d+$/);
    expect(seen['x-auth-user-id']).not.toBe('1');
    expect(seen['x-auth-scopes']).toBe('mcp:read mcp:write');
    expect(seen['x-auth-client-id']).toMatch(/^client_/);
    expect(seen.authorization).toBeUndefined();

    // The request log knows who it was (written in batches: poll briefly).
    const requestId = String(res.headers['x-request-id']);
    interface LogEntry {
      request_id: string;
      auth_user?: string;
      oauth_client_id?: string;
      host?: string;
      status?: number;
    }
    const entry = await waitFor(
      `the log entry of request ${requestId}`,
      async () =>
        (
          await server.api<{ entries: LogEntry[] }>('GET', '/api/v1/logs?hostname=a.example.test&user=alice')
        ).body.entries?.find((e) => e.request_id === requestId),
      isDefined,
      { timeoutMs: 5000, intervalMs: 100 },
    );
    expect(entry).toMatchObject({
      auth_user: 'alice',
      oauth_client_id: aliceA.client_id,
      host: 'a.example.test',
      status: 200,
    });
  });

  it('answers 401 with the challenge without a token, and 401 invalid_token for a token of another resource', async () => {
    const none = await call('a.example.test', '/mcp');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe(
      `Bearer resource_metadata="${metadataOf('a.example.test')}", scope="mcp:read mcp:write"`,
    );
    const other = await call('b.example.test', '/mcp', bearer(aliceA.access_token));
    expect(other.status).toBe(401);
    expect(other.headers['www-authenticate']).toBe(
      `Bearer resource_metadata="${metadataOf('b.example.test')}", scope="mcp:read mcp:write", error="invalid_token", error_description="the token was issued for another resource (aud)"`,
    );
    expect(JSON.parse(other.text)).toEqual({
      error: 'invalid_token',
      error_description: 'the token was issued for another resource (aud)',
    });
  });

  it('refuses expired, tampered (alg none, HS256 with the public key) and revoked tokens', async () => {
    const expired = signedToken(server.issuer, { aud: A, exp: Math.floor(Date.now() / 1000) - 5 }, kid);
    const { none, hs256 } = forgedTokens(server.issuer, A, kid);
    const cases: [string, string][] = [
      [expired, 'the token has expired'],
      [none, 'the token is not a well-formed JWT'],
      [`${none}c2ln`, 'the token is not signed with RS256'],
      [hs256, 'the token is not signed with RS256'],
      [`${aliceA.access_token.slice(0, -6)}abcdef`, 'the token signature is invalid'],
    ];
    for (const [token, description] of cases) {
      const res = await call('a.example.test', '/mcp', bearer(token));
      expect([res.status, JSON.parse(res.text)]).toEqual([
        401,
        { error: 'invalid_token', error_description: description },
      ]);
    }
    // A token the test signs with the server's key and the right audience passes: the refusals above are about the token.
    expect(
      (await call('a.example.test', '/mcp', bearer(signedToken(server.issuer, { aud: `${A}/` }, kid)))).status,
    ).toBe(200);

    const fresh = await obtainToken(server.issuer, github, 'alice', A);
    expect((await call('a.example.test', '/mcp', bearer(fresh.access_token))).status).toBe(200);
    const revoked = await loopbackFetch(`${server.issuer}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: fresh.access_token, client_id: fresh.client_id }).toString(),
    });
    expect(revoked.status).toBe(200);
    const after = await call('a.example.test', '/mcp', bearer(fresh.access_token));
    expect([after.status, JSON.parse(after.text)]).toEqual([
      401,
      { error: 'invalid_token', error_description: 'the token has been revoked' },
    ]);
  });

  it('answers 403 for a user not on the allowlist and for missing scopes', async () => {
    const bob = await obtainToken(server.issuer, github, 'bob', A);
    const denied = await call('a.example.test', '/mcp', bearer(bob.access_token));
    expect([denied.status, JSON.parse(denied.text)]).toEqual([
      403,
      { error: 'access_denied', error_description: 'user bob is not allowed on a.example.test' },
    ]);
    // ["*"] means any signed-in user.
    const bobB = await obtainToken(server.issuer, github, 'bob', B);
    expect((await call('b.example.test', '/mcp', bearer(bobB.access_token))).status).toBe(200);

    const readOnly = await obtainToken(server.issuer, github, 'alice', A, 'mcp:read');
    const scoped = await call('a.example.test', '/mcp', bearer(readOnly.access_token));
    expect(scoped.status).toBe(403);
    expect(scoped.headers['www-authenticate']).toBe(
      `Bearer resource_metadata="${metadataOf('a.example.test')}", scope="mcp:read mcp:write", error="insufficient_scope", error_description="the token lacks scope mcp:write"`,
    );
  });

  it('refuses a token in the query string, answers OPTIONS before auth, and passes excluded paths', async () => {
    const query = await call('a.example.test', `/mcp?access_token=${aliceA.access_token}`);
    expect([query.status, JSON.parse(query.text).error]).toEqual([400, 'invalid_request']);
    const preflight = await call(
      'a.example.test',
      '/mcp',
      {
        origin: 'https://claude.ai',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, mcp-protocol-version',
      },
      'OPTIONS',
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('*');
    expect(preflight.headers['access-control-allow-headers']).toBe(
      'authorization, content-type, mcp-protocol-version, mcp-session-id, last-event-id',
    );
    expect(preflight.headers['access-control-expose-headers']).toBe('WWW-Authenticate, Mcp-Session-Id');
    const excluded = await call('a.example.test', '/public/status', { 'x-auth-user-name': 'mallory' });
    expect(excluded.status).toBe(200);
    expect(excluded.json().headers['x-auth-user-name']).toBeUndefined();
    expect((await call('a.example.test', '/publicity')).status).toBe(401);
  });

  it('passthrough: anonymous requests go through; a valid token adds identity', async () => {
    const anonymous = await call('pass.example.test', '/mcp', { 'x-auth-user-name': 'mallory' });
    expect(anonymous.status).toBe(200);
    expect(anonymous.json().headers['x-auth-user-name']).toBeUndefined();
    const pass = await obtainToken(server.issuer, github, 'alice', `http://pass.example.test:${server.httpPort}/mcp`);
    const identified = await call('pass.example.test', '/mcp', bearer(pass.access_token));
    expect(identified.json().headers['x-auth-user-name']).toBe('alice');
  });

  it('forward_authorization passes the token on when opted in; a custom header prefix strips client copies', async () => {
    const token = await obtainToken(server.issuer, github, 'alice', `http://optin.example.test:${server.httpPort}/mcp`);
    const res = await call('optin.example.test', '/mcp', {
      ...bearer(token.access_token),
      'x-user-user-name': 'mallory',
    });
    const seen = res.json<Echo>().headers;
    expect(seen.authorization).toBe(`Bearer ${token.access_token}`);
    expect(seen['x-user-user-name']).toBe('alice');
  });

  it('issues tokens only for registered resources', async () => {
    github.signIn('alice');
    const reg = await loopbackFetch(`${server.issuer}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' }),
    });
    const { client_id } = (await reg.json()) as { client_id: string };
    const url = new URL(`${server.issuer}/authorize`);
    const params = {
      client_id,
      redirect_uri: 'http://127.0.0.1/cb',
      response_type: 'code',
      code_challenge: 'x'.repeat(43),
      code_challenge_method: 'S256',
      state: 's',
      resource: 'https://elsewhere.example.test/mcp',
    };
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const flow = await new OAuthBrowser({ fetch: loopbackFetch }).authorize(url, 'http://127.0.0.1/cb');
    expect(flow.callback?.searchParams.get('error')).toBe('invalid_target');
  });

  it('serves only the OAuth endpoints and /verify on the auth hostname', async () => {
    for (const path of ['/api/v1/proxy/targets', '/health', '/docs', '/metrics']) {
      expect((await call(AUTH_HOST, path, { authorization: `Bearer ${server.adminToken}` })).status).toBe(404);
    }
    expect((await call(AUTH_HOST, '/.well-known/oauth-authorization-server')).status).toBe(200);
  });

  it('/verify answers 200 with identity headers, 401 with the challenge, 403, for nginx, Caddy and Traefik alike', async () => {
    const forwarded = {
      'x-forwarded-host': `a.example.test:${server.httpPort}`,
      'x-forwarded-uri': '/mcp',
      'x-forwarded-proto': 'http',
    };
    const ok = await call(AUTH_HOST, '/verify', { ...forwarded, ...bearer(aliceA.access_token) });
    expect(ok.status).toBe(200);
    expect(ok.headers['x-auth-user-name']).toBe('alice');
    const missing = await fetch(`${server.apiUrl}/verify`, { headers: forwarded });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${metadataOf('a.example.test')}", scope="mcp:read mcp:write"`,
    );
    const bob = await obtainToken(server.issuer, github, 'bob', A);
    const denied = await fetch(`${server.apiUrl}/verify`, {
      headers: { 'x-original-url': A, ...bearer(bob.access_token) },
    });
    expect(denied.status).toBe(403);
    const byResource = await fetch(`${server.apiUrl}/verify?resource=${encodeURIComponent(A)}`, {
      headers: bearer(aliceA.access_token),
    });
    expect(byResource.status).toBe(200);
    const unknown = await fetch(`${server.apiUrl}/verify`, {
      headers: { 'x-forwarded-host': 'unknown.example.test', 'x-forwarded-uri': '/' },
    });
    expect(unknown.status).toBe(403);
    expect((await fetch(`${server.apiUrl}/verify`)).status).toBe(400);
  });

  it('redirect mode: a browser signs in (GitHub, consent) and comes back to the page with a session cookie for the target host', async () => {
    github.signIn('alice');
    const browser = new OAuthBrowser({ fetch: loopbackFetch });
    const web = `http://web.example.test:${server.httpPort}`;
    const flow = await browser.authorize(`${web}/page?x=1`, 'never:');
    expect(flow.page?.status).toBe(200);
    const echo = JSON.parse(flow.page?.body ?? '{}') as Echo;
    expect(echo.url).toBe('/page?x=1');
    expect(echo.headers['x-auth-user-name']).toBe('alice');
    expect(echo.headers.cookie).toBeUndefined(); // the session cookie (an access token) stays with the proxy
    expect(flow.hops[1]).toMatch(new RegExp(`^${server.issuer}/authorize\\?`));
    expect(flow.hops.some((h) => h.startsWith(`${web}/.auth/callback?code=`))).toBe(true);
    expect(flow.hops[flow.hops.length - 1]).toBe(`${web}/page?x=1`);
    expect(browser.cookieHeader(new URL(web))).toMatch(/^proxy_session=ey[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(browser.cookieHeader(new URL(`http://a.example.test:${server.httpPort}`))).toBe('');
    // Next visit: straight through.
    const again = await browser.request(new URL(`${web}/other`));
    expect(again.status).toBe(200);
    // Not a browser navigation: the bearer challenge, no redirect.
    const api = await call('web.example.test', '/page', {}, 'POST');
    expect(api.status).toBe(401);
    // A callback without the flow cookie is refused.
    expect((await call('web.example.test', '/.auth/callback?code=x&state=y')).status).toBe(400);

    github.signIn('bob');
    const bobFlow = await new OAuthBrowser({ fetch: loopbackFetch }).authorize(`${web}/page`, 'never:');
    expect(bobFlow.page?.status).toBe(403);
    expect(JSON.parse(bobFlow.page?.body ?? '{}')).toEqual({
      error: 'access_denied',
      error_description: 'user bob is not allowed on web.example.test',
    });
  });

  it('turns protection off and on through the API', async () => {
    const shown = await server.api<Record<string, unknown>>('GET', '/api/v1/proxy/targets/b.example.test/auth');
    expect(shown.body).toMatchObject({
      hostname: 'b.example.test',
      enabled: true,
      mode: 'forward',
      required_users: ['*'],
      header_prefix: 'X-Auth-',
      resources: [B],
    });
    expect((await server.api('DELETE', '/api/v1/proxy/targets/b.example.test/auth')).status).toBe(200);
    expect((await call('b.example.test', '/mcp')).status).toBe(200);
    expect((await call('b.example.test', '/.well-known/oauth-protected-resource/mcp')).status).toBe(200); // the backend echo answers now
    expect((await server.api('GET', '/api/v1/proxy/targets/b.example.test/auth')).status).toBe(404);
    expect(
      (await server.api('POST', '/api/v1/proxy/targets/b.example.test/auth', { body: { mode: 'sideways' } })).status,
    ).toBe(400);
    expect(
      (await server.api('POST', '/api/v1/proxy/targets/b.example.test/auth', { body: { required_users: ['*'] } }))
        .status,
    ).toBe(200);
    expect((await call('b.example.test', '/mcp')).status).toBe(401);
  });
});
