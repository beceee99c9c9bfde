import { GithubStandin } from '../support/github-standin';
import { echoBackend, publicRequest, type Backend, type Echo } from '../support/loopback';
import { loopbackFetch } from '../support/loopback-fetch';
import type { ServerProcess } from '../support/server-process';
import { protectTarget, signedToken, startProtectedServer } from '../protection/protection-fixture';

const CUSTOM = 'custom.attack.test';
const WEB = 'web.attack.test';

/**
 * Findings of the independent attack review (issue 16): what the proxy owns on a protected host,
 * its identity headers (the target's `header_prefix`, in any spelling) and its redirect-mode
 * session cookie (an access token), never reaches the backend from the client, whatever the path
 * (bypass_auth routes, excluded paths) and whatever else the request carries.
 */
describe('attack review: the proxy keeps what it owns on protected hosts', () => {
  let github: GithubStandin;
  let server: ServerProcess & { issuer: string };
  let backend: Backend;
  let kid: string;

  const call = (host: string, path: string, headers: Record<string, string> = {}, method = 'GET') => publicRequest({ port: server.httpPort, host: `${host}:${server.httpPort}`, path, method, headers });
  const route = (host: string, path_pattern: string, bypass_auth: boolean) =>
    server.api('POST', '/api/v1/routes', { body: { path_pattern, target_type: 'url', target_value: backend.url, bypass_auth, scope: 'proxy', proxy_hostnames: [host] } });

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startProtectedServer(github);
    backend = await echoBackend('attack');
    await protectTarget(server, CUSTOM, backend.url, { mode: 'forward', required_users: ['alice'], header_prefix: 'X-User-' }, { endpoint: '/mcp' });
    await protectTarget(server, WEB, backend.url, { mode: 'redirect', required_users: ['alice'], excluded_paths: ['/public/'] });
    expect((await route(CUSTOM, '/open/', true)).status).toBe(201);
    expect((await route(WEB, '/open/', true)).status).toBe(201);
    kid = ((await (await loopbackFetch(`${server.issuer}/jwks`)).json()) as { keys: { kid: string }[] }).keys[0].kid;
  });
  afterAll(async () => {
    await backend?.close();
    await server?.stop();
    await github?.stop();
  });

  it('removes client headers with the target header_prefix (any spelling) on a bypass_auth route', async () => {
    const res = await call(CUSTOM, '/open/page', { 'X-User-User-Name': 'admin', X_User_User_Id: '1', 'x-user_scopes': 'admin' });
    expect(res.status).toBe(200);
    const forged = Object.keys(res.json<Echo>().headers).filter((name) => name.replace(/_/g, '-').startsWith('x-user-'));
    expect(forged).toEqual([]);
  });

  it('never forwards the redirect-mode session cookie (an access token): bypass_auth route, excluded path, and a request that also has a bearer token', async () => {
    const session = 'proxy_session=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';
    const open = await call(WEB, '/open/page', { cookie: `theme=dark; ${session}` });
    const excluded = await call(WEB, '/public/page', { cookie: `${session}; theme=dark` });

    // A bearer token for the host's resource (from the challenge's metadata), and the session cookie next to it.
    const challenge = await call(WEB, '/page', {}, 'POST');
    const metadata = /resource_metadata="([^"]+)"/.exec(String(challenge.headers['www-authenticate']))?.[1] ?? '';
    const { resource } = (await (await loopbackFetch(metadata)).json()) as { resource: string };
    const token = signedToken(server.issuer, { aud: resource }, kid);
    const both = await call(WEB, '/page', { authorization: `Bearer ${token}`, cookie: session });

    const seen = [open, excluded, both].map((res) => [res.status, res.json<Echo>().headers.cookie]);
    expect(seen).toEqual([
      [200, 'theme=dark'],
      [200, 'theme=dark'],
      [200, undefined],
    ]);
  });
});
