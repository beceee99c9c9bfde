import { GithubStandin } from '../support/github-standin';
import { Backend, echoBackend, publicRequest, type PublicResponse } from '../support/loopback';
import { loopbackFetch } from '../support/loopback-fetch';
import { NginxProcess } from '../support/nginx';
import type { ServerProcess } from '../support/server-process';
import { AUTH_HOST, signedToken, startProtectedServer } from '../protection/protection-fixture';
import { waitFor } from '../support/wait';

const HOST = 'dots.example.test';
const ADMIN_PAGE = 'protected admin page';
const RESOURCE_B_PAGE = 'resource B page';

/** Ways to write "go up one segment" that a normalising backend (nginx) resolves. */
const CLIMBS = ['..', '%2e%2e', '%2E%2E', '%2E%2e', '.%2e', '%2e.', './..', '/..'];
/** Separators a backend could resolve differently from the proxy: refused with 400. */
const REFUSED = ['..%2Fadmin', '..%2fadmin', '..%5Cadmin', '..\\admin', '..;/admin', '%00/admin', '%zz/admin'];

/**
 * One canonical path (docs/security.md, "Canonical path"): the excluded path, the bypass_auth route,
 * the per-resource audience check, the metadata paths and /verify all decide on the path the proxy
 * forwards, so a backend that normalises paths (a real nginx here, which serves a protected page at
 * /admin and answers every request with the request URI it received) never serves a protected page
 * to a request that was let through for another path.
 */
describe('dot segments: one canonical path', () => {
  let github: GithubStandin;
  let server: ServerProcess & { issuer: string };
  let nginx: NginxProcess;
  let recorder: Backend;
  let kid: string;
  let resourceA: string;
  let resourceB: string;

  const call = (path: string, headers: Record<string, string> = {}, host = HOST): Promise<PublicResponse> =>
    publicRequest({ port: server.httpPort, host: `${host}:${server.httpPort}`, path, headers });
  const bearer = (aud: string) => ({ authorization: `Bearer ${signedToken(server.issuer, { aud }, kid)}` });
  /** /verify as nginx auth_request calls it (X-Forwarded-Host + X-Original-URI, the raw $request_uri). */
  const verify = (headers: Record<string, string>): Promise<PublicResponse> =>
    publicRequest({ port: server.apiPort, host: `127.0.0.1:${server.apiPort}`, path: '/verify', headers });

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startProtectedServer(github);
    recorder = await echoBackend('recorder');
    nginx = await NginxProcess.start(
      (port) => `
  server {
    listen 127.0.0.1:${port};
    add_header X-Backend-Uri $request_uri always;
    location = /admin { return 200 "${ADMIN_PAGE}\\n"; }
    location /admin/ { return 200 "${ADMIN_PAGE}\\n"; }
    location /mcp-b { return 200 "${RESOURCE_B_PAGE}\\n"; }
    location / { return 200 "nginx $uri\\n"; }
  }`,
    );
    const backend = `http://127.0.0.1:${nginx.port}`;
    expect(
      (
        await server.api('POST', '/api/v1/proxy/targets', {
          body: { hostname: HOST, target_url: backend, enable_https: false },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await server.api('POST', `/api/v1/proxy/targets/${HOST}/auth`, {
          body: { required_users: ['*'], excluded_paths: ['/public/'] },
        })
      ).status,
    ).toBe(200);
    resourceA = `http://${HOST}:${server.httpPort}/mcp-a`;
    resourceB = `http://${HOST}:${server.httpPort}/mcp-b`;
    for (const [uri, name] of [
      [resourceA, 'A'],
      [resourceB, 'B'],
    ]) {
      const created = await server.api('POST', '/api/v1/resources', { body: { uri, name, proxy_target: HOST } });
      expect([created.status, created.text]).toEqual([201, expect.any(String)]);
    }
    const route = (path_pattern: string, target_value: string, bypass_auth: boolean) =>
      server.api('POST', '/api/v1/routes', {
        body: { path_pattern, target_type: 'url', target_value, bypass_auth, scope: 'proxy', proxy_hostnames: [HOST] },
      });
    expect((await route('/open/', backend, true)).status).toBe(201);
    expect((await route('/rec/', recorder.url, false)).status).toBe(201);
    kid = ((await (await loopbackFetch(`${server.issuer}/jwks`)).json()) as { keys: { kid: string }[] }).keys[0].kid;
  });
  afterAll(async () => {
    await nginx?.stop();
    await recorder?.close();
    await server?.stop();
    await github?.stop();
  });

  it('serves the excluded path and the bypass_auth route without a token, and the backend receives the path as sent', async () => {
    for (const path of ['/public/page', '/open/page']) {
      const res = await call(path);
      expect([path, res.status, res.text, res.headers['x-backend-uri']]).toEqual([path, 200, `nginx ${path}\n`, path]);
    }
    const denied = await call('/admin');
    expect([denied.status, denied.text.includes(ADMIN_PAGE)]).toEqual([401, false]);
  });

  it('never lets a climb out of the excluded path or the bypass_auth route reach the protected page without a token', async () => {
    const seen: [string, number, boolean][] = [];
    for (const prefix of ['/public/', '/open/'])
      for (const climb of CLIMBS) {
        const path = `${prefix}${climb}/admin`;
        const res = await call(path);
        seen.push([path, res.status, res.text.includes(ADMIN_PAGE)]);
      }
    // Each resolves to /admin, which needs a token.
    expect(seen).toEqual(seen.map(([path]) => [path, 401, false]));
  });

  it('refuses encoded slashes, backslashes, NUL, malformed escapes and dot segments with parameters with a 400 that says why', async () => {
    const seen: [string, number, boolean, string][] = [];
    for (const prefix of ['/public/', '/open/'])
      for (const rest of REFUSED) {
        const path = `${prefix}${rest}`;
        const res = await call(path);
        seen.push([
          path,
          res.status,
          res.text.includes(ADMIN_PAGE),
          res.headers['x-backend-uri'] === undefined ? 'proxy' : 'backend',
        ]);
      }
    expect(seen).toEqual(seen.map(([path]) => [path, 400, false, 'proxy']));
    expect((await call('/public/..%2Fadmin')).text).toMatch(/encoded slash \(%2F\)/);
    expect((await call('/public/..\\admin')).text).toMatch(/backslash/);
  });

  it('forwards the canonical path: what the backend receives is what the decision was taken on (query untouched)', async () => {
    const cases: [string, string][] = [
      ['/public/./x/../page', '/public/page'],
      ['/public//page', '/public/page'],
      ['/public/%7Euser/%41', '/public/~user/A'],
      ['/open/a/%2e%2e/b/', '/open/b/'],
      ['/public/../public/page?next=/../admin&x=%2e%2e', '/public/page?next=/../admin&x=%2e%2e'],
    ];
    for (const [sent, expected] of cases) {
      const res = await call(sent);
      expect([sent, res.status, res.headers['x-backend-uri']]).toEqual([sent, 200, expected]);
    }
    // With a token through an authenticated route: the recording backend sees the canonical path.
    const recorded = await call('/rec/./a/%7Eb/../c//d?q=..', bearer(resourceA));
    expect([recorded.status, recorded.json().url]).toEqual([200, '/rec/a/c/d?q=..']);
    // The request log records that same path.
    const requestId = String(recorded.headers['x-request-id']);
    const row = await waitFor(
      `the request-log row of ${requestId}`,
      async () =>
        (
          await server.api<{ entries: { request_id: string; path: string }[] }>('GET', `/api/v1/logs?hostname=${HOST}`)
        ).body.entries?.find((e) => e.request_id === requestId),
      (found) => found !== undefined,
    );
    expect(row?.path).toBe('/rec/a/c/d');
  });

  it('checks the per-resource audience on the canonical path: a token for /mcp-a does not open /mcp-b', async () => {
    const okA = await call('/mcp-a', bearer(resourceA));
    expect([okA.status, okA.headers['x-backend-uri']]).toEqual([200, '/mcp-a']);
    const seen: [string, number, boolean][] = [];
    for (const climb of CLIMBS) {
      const path = `/mcp-a/${climb}/mcp-b`;
      const res = await call(path, bearer(resourceA));
      seen.push([path, res.status, res.text.includes(RESOURCE_B_PAGE)]);
    }
    expect(seen).toEqual(seen.map(([path]) => [path, 401, false]));
    // The right token for B opens it, and B's backend receives /mcp-b.
    const okB = await call('/mcp-a/%2e%2e/mcp-b', bearer(resourceB));
    expect([okB.status, okB.text, okB.headers['x-backend-uri']]).toEqual([200, `${RESOURCE_B_PAGE}\n`, '/mcp-b']);
  });

  it('refuses a WebSocket upgrade that climbs out of the excluded path', async () => {
    const res = await call('/public/%2e%2e/admin', {
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-version': '13',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    });
    expect([res.status, res.text.includes(ADMIN_PAGE)]).toEqual([401, false]);
  });

  it('serves metadata and OAuth endpoints on their canonical paths', async () => {
    const prm = await call('/x/../.well-known/oauth-protected-resource/mcp-a');
    expect([prm.status, prm.json<{ resource: string }>().resource]).toEqual([200, resourceA]);
    const asMetadata = await call('/x/%2e%2e/.well-known/oauth-authorization-server', {}, AUTH_HOST);
    expect([asMetadata.status, asMetadata.json<{ issuer: string }>().issuer]).toEqual([200, server.issuer]);
  });

  it('refuses an excluded path that is not canonical (it would never match a request), saying what to write', async () => {
    const set = (excluded_paths: string[]) =>
      server.api<{ message: string }>('POST', `/api/v1/proxy/targets/${HOST}/auth`, {
        body: { required_users: ['*'], excluded_paths },
      });
    const dots = await set(['/public/../admin']);
    expect([dots.status, dots.body.message]).toEqual([400, expect.stringContaining('write "/admin"')]);
    const escaped = await set(['/%7Euser/']);
    expect([escaped.status, escaped.body.message]).toEqual([400, expect.stringContaining('write "/~user/"')]);
    const slash = await set(['/a%2Fb']);
    expect([slash.status, slash.body.message]).toEqual([400, expect.stringContaining('encoded slash')]);
    // Nothing half-stored: the target keeps its excluded path.
    expect((await call('/public/page')).status).toBe(200);
    expect(
      (await server.api<{ excluded_paths: string[] }>('GET', `/api/v1/proxy/targets/${HOST}/auth`)).body.excluded_paths,
    ).toEqual(['/public/']);
  });

  it('/verify decides on the canonical path of X-Original-URI / X-Forwarded-Uri / X-Original-URL, and refuses what the proxy refuses', async () => {
    const host = { 'x-forwarded-host': `${HOST}:${server.httpPort}` };
    expect((await verify({ ...host, 'x-original-uri': '/public/page' })).status).toBe(200);
    const seen: [string, number][] = [];
    for (const climb of CLIMBS) {
      const uri = `/public/${climb}/admin`;
      seen.push([uri, (await verify({ ...host, 'x-original-uri': uri })).status]);
      seen.push([`fwd ${uri}`, (await verify({ ...host, 'x-forwarded-uri': uri })).status]);
    }
    expect(seen).toEqual(seen.map(([uri]) => [uri, 401]));
    const refused = await verify({ ...host, 'x-original-uri': '/public/..%2Fadmin' });
    expect([refused.status, refused.json<{ error: string; error_description: string }>().error]).toEqual([
      400,
      'invalid_request',
    ]);
    expect(refused.json<{ error_description: string }>().error_description).toMatch(/encoded slash/);
    const absolute = await verify({ 'x-original-url': `http://${HOST}:${server.httpPort}/public/..%2Fadmin` });
    expect(absolute.status).toBe(400);
    const absoluteClimb = await verify({ 'x-original-url': `http://${HOST}:${server.httpPort}/public/.%2e/admin` });
    expect(absoluteClimb.status).toBe(401);
  });
});
