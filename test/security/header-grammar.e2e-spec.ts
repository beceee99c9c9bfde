import { AUTH_HOST, protectTarget, signedToken, startProtectedServer } from '../protection/protection-fixture';
import { GithubStandin } from '../support/github-standin';
import { Backend, Echo, echoBackend, publicRequest } from '../support/loopback';
import { loopbackFetch } from '../support/loopback-fetch';
import type { ServerProcess } from '../support/server-process';

const METRICS_TOKEN = 'metrics_scraper_secret_0123';

/**
 * The header grammars of `@app/http` (RFC 6750 bearer credentials, cookies) as every endpoint that
 * reads them answers: a cookie that is not percent-decodable is a normal cookie (never a 500), and an
 * Authorization header that is not `Bearer <b64token>` gets the same 401 everywhere.
 */
describe('header grammar at every endpoint that reads it', () => {
  let github: GithubStandin;
  let server: ServerProcess & { issuer: string };
  let backend: Backend;
  let valid: string;
  let kid: string;

  const onPublic = (host: string, path: string, headers: Record<string, string> = {}) =>
    publicRequest({ port: server.httpPort, host: `${host}:${server.httpPort}`, path, headers });
  const forwarded = () => ({
    'x-forwarded-host': `api.example.test:${server.httpPort}`,
    'x-forwarded-uri': '/mcp',
    'x-forwarded-proto': 'http',
  });

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startProtectedServer(github, { METRICS_TOKEN });
    backend = await echoBackend('grammar');
    await protectTarget(server, 'api.example.test', backend.url, { mode: 'forward' }, { endpoint: '/mcp' });
    await protectTarget(server, 'web.example.test', backend.url, { mode: 'redirect', excluded_paths: ['/public'] });
    kid = ((await (await loopbackFetch(`${server.issuer}/jwks`)).json()) as { keys: { kid: string }[] }).keys[0].kid;
    valid = signedToken(server.issuer, { aud: `http://api.example.test:${server.httpPort}/mcp` }, kid);
  });
  afterAll(async () => {
    await backend?.close();
    await server?.stop();
    await github?.stop();
  });

  it('answers a stray % in a cookie like any unknown cookie value, never with a 500', async () => {
    const client = (await (
      await loopbackFetch(`${server.issuer}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:47012/cb'], token_endpoint_auth_method: 'none' }),
      })
    ).json()) as { client_id: string };
    const authorize = new URLSearchParams({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: 'http://127.0.0.1:47012/cb',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      state: 's',
    });
    const cookies = ['x=%', 'x=%; oauth_session=%', 'oauth_session=%E0%A4%A; oauth_flow=%'];
    const seen: Record<string, number[]> = {};
    const record = (what: string, status: number) => (seen[what] ??= []).push(status);
    for (const cookie of cookies) {
      record('authorize', (await onPublic(AUTH_HOST, `/authorize?${authorize}`, { cookie })).status);
      record('consent', (await onPublic(AUTH_HOST, '/consent?id=unknown', { cookie })).status);
      record('callback', (await onPublic(AUTH_HOST, '/callback?code=c&state=unknown', { cookie })).status);
      record('target page', (await onPublic('web.example.test', '/page', { cookie })).status);
      record(
        'target callback',
        (
          await onPublic('web.example.test', '/.auth/callback?code=c&state=s', {
            cookie: `${cookie}; proxy_session_flow=%; proxy_session=%`,
          })
        ).status,
      );
    }
    // authorize: to GitHub (no usable session); consent: no session, no page; callbacks: unknown flow.
    expect(seen).toEqual({
      authorize: [302, 302, 302],
      consent: [400, 400, 400],
      callback: [400, 400, 400],
      'target page': [302, 302, 302],
      'target callback': [400, 400, 400],
    });
  });

  it('keeps every redirect-mode session cookie from the backend, an empty one before it included', async () => {
    const session = signedToken(server.issuer, { aud: `http://web.example.test:${server.httpPort}` }, kid);
    const received: (string | undefined)[] = [];
    for (const cookie of [
      `a=1; proxy_session=${session}; b=2`,
      `a=1; proxy_session=; proxy_session=${session}; b=2`,
      `a=1; proxy_session=""; proxy_session=${session}; b=2`,
    ]) {
      const res = await onPublic('web.example.test', '/public/x', { cookie });
      expect(res.status).toBe(200);
      received.push(res.json<Echo>().headers.cookie);
    }
    expect(received).toEqual(['a=1; b=2', 'a=1; b=2', 'a=1; b=2']);
  });

  it('answers an Authorization header that is not "Bearer <b64token>" with 401 invalid_request everywhere', async () => {
    const malformed = [
      'Bearer a"b',
      'Bearer\tabc',
      'Bearer',
      `Bearer ${valid}, Bearer abc`,
      `Bearer ${server.adminToken}, Bearer abc`,
      `Bearer ${METRICS_TOKEN} x`,
    ];
    const seen: Record<string, string[]> = {};
    const record = (what: string, status: number, challenge: string | null | undefined) =>
      (seen[what] ??= []).push(`${status} ${/error="([^"]+)"/.exec(challenge ?? '')?.[1] ?? '-'}`);
    for (const authorization of malformed) {
      const target = await onPublic('api.example.test', '/mcp', { authorization });
      record('target', target.status, target.headers['www-authenticate'] as string | undefined);
      const verify = await fetch(`${server.apiUrl}/verify`, { headers: { ...forwarded(), authorization } });
      record('verify', verify.status, verify.headers.get('www-authenticate'));
      const api = await fetch(`${server.apiUrl}/api/v1/tokens`, { headers: { authorization } });
      record('admin api', api.status, api.headers.get('www-authenticate'));
      const metrics = await fetch(`${server.apiUrl}/metrics`, { headers: { authorization } });
      record('metrics', metrics.status, metrics.headers.get('www-authenticate'));
    }
    const refused = malformed.map(() => '401 invalid_request');
    expect(seen).toEqual({ target: refused, verify: refused, 'admin api': refused, metrics: refused });

    // The same credentials, well formed, are accepted: only the grammar refused them above.
    expect((await onPublic('api.example.test', '/mcp', { authorization: `bearer  ${valid}` })).status).toBe(200);
    const verified = await fetch(`${server.apiUrl}/verify`, {
      headers: { ...forwarded(), authorization: `BEARER ${valid}` },
    });
    expect(verified.status).toBe(200);
    const api = await fetch(`${server.apiUrl}/api/v1/tokens`, {
      headers: { authorization: `bearer ${server.adminToken}` },
    });
    expect(api.status).toBe(200);
    const metrics = await fetch(`${server.apiUrl}/metrics`, {
      headers: { authorization: `Bearer   ${METRICS_TOKEN}` },
    });
    expect(metrics.status).toBe(200);
  });
});
