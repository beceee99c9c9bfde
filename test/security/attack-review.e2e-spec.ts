import { GithubStandin } from '../support/github-standin';
import { echoBackend, publicRequest, type Backend, type Echo } from '../support/loopback';
import { loopbackFetch } from '../support/loopback-fetch';
import type { ServerProcess } from '../support/server-process';
import { protectTarget, signedToken, startProtectedServer } from '../protection/protection-fixture';

const CUSTOM = 'custom.attack.test';
const WEB = 'web.attack.test';
const OPEN = 'open.attack.test';

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

  const call = (host: string, path: string, headers: Record<string, string> = {}, method = 'GET') =>
    publicRequest({ port: server.httpPort, host: `${host}:${server.httpPort}`, path, method, headers });
  const route = (host: string, path_pattern: string, bypass_auth: boolean) =>
    server.api('POST', '/api/v1/routes', {
      body: {
        path_pattern,
        target_type: 'url',
        target_value: backend.url,
        bypass_auth,
        scope: 'proxy',
        proxy_hostnames: [host],
      },
    });

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startProtectedServer(github);
    backend = await echoBackend('attack');
    await protectTarget(
      server,
      CUSTOM,
      backend.url,
      { mode: 'forward', required_users: ['alice'], header_prefix: 'X-User-' },
      { endpoint: '/mcp' },
    );
    expect(
      (
        await server.api('POST', '/api/v1/proxy/targets', {
          body: { hostname: OPEN, target_url: backend.url, enable_https: false },
        })
      ).status,
    ).toBe(201);
    await protectTarget(server, WEB, backend.url, {
      mode: 'redirect',
      required_users: ['alice'],
      excluded_paths: ['/public/'],
    });
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
    const res = await call(CUSTOM, '/open/page', {
      'X-User-User-Name': 'admin',
      X_User_User_Id: '1',
      'x-user_scopes': 'admin',
    });
    expect(res.status).toBe(200);
    const forged = Object.keys(res.json<Echo>().headers).filter((name) =>
      name.replace(/_/g, '-').startsWith('x-user-'),
    );
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

  it('/verify decides on the whole forwarded URI: a comma in the path does not cut it to an excluded prefix', async () => {
    const verify = (headers: Record<string, string>) =>
      publicRequest({
        port: server.httpPort,
        host: `auth.example.test:${server.httpPort}`,
        path: '/verify',
        headers,
      }).then((res) => res.status);
    // nginx passes $request_uri as sent; it serves /public/,/../../page as /page.
    const statuses = [
      await verify({ 'x-forwarded-host': WEB, 'x-original-uri': '/public/,/../../page' }),
      await verify({ 'x-forwarded-host': WEB, 'x-forwarded-uri': '/public/,/../../page' }),
      await verify({ 'x-original-url': `http://${WEB}/public/,/../../page` }),
      await verify({ 'x-forwarded-host': WEB, 'x-original-uri': '/public/a,b' }),
    ];
    expect(statuses).toEqual([401, 401, 401, 200]);
  });

  it('/verify lets only a CORS preflight OPTIONS through without a token (the caller forwards what /verify allows)', async () => {
    const verify = (headers: Record<string, string>) =>
      publicRequest({
        port: server.httpPort,
        host: `auth.example.test:${server.httpPort}`,
        path: '/verify',
        headers,
      }).then((res) => res.status);
    const asked = { 'x-forwarded-host': CUSTOM, 'x-original-uri': '/mcp', 'x-forwarded-method': 'OPTIONS' };
    expect([
      await verify(asked),
      await verify({ ...asked, origin: 'https://app.example', 'access-control-request-method': 'POST' }),
    ]).toEqual([401, 200]);
  });

  it('removes path-override and client-address headers backends read as the request path or the client (any spelling)', async () => {
    const sent = {
      'X-Original-URL': '/admin',
      X_Rewrite_URL: '/admin',
      'True-Client-IP': '203.0.113.9',
      'X-Client-IP': '203.0.113.9',
      Client_IP: '203.0.113.9',
      'X-Cluster-Client-IP': '203.0.113.9',
      'CF-Connecting-IP': '203.0.113.9',
      'Fastly-Client-IP': '203.0.113.9',
      'X-Forwarded': 'for=203.0.113.9',
      'Forwarded-For': '203.0.113.9',
    };
    const res = await call(OPEN, '/page', sent);
    expect(res.status).toBe(200);
    const { headers } = res.json<Echo>();
    expect(
      Object.keys(headers).filter((name) =>
        Object.keys(sent).some((s) => s.toLowerCase().replace(/_/g, '-') === name.replace(/_/g, '-')),
      ),
    ).toEqual([]);
    expect(headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  it("a tenant's route cannot send its traffic to another tenant's protected target (target_type hostname): 403, nothing stored, no way in without a token", async () => {
    const tenant = (await server.api<{ token: string }>('POST', '/api/v1/tokens', { body: { name: 'mallory' } })).body
      .token;
    const own = 'mallory.attack.test';
    expect(
      (
        await server.api('POST', '/api/v1/proxy/targets', {
          token: tenant,
          body: { hostname: own, target_url: 'http://127.0.0.1:9', enable_https: false },
        })
      ).status,
    ).toBe(201);
    const created = await server.api('POST', '/api/v1/routes', {
      token: tenant,
      body: {
        path_pattern: '/',
        target_type: 'hostname',
        target_value: CUSTOM,
        bypass_auth: true,
        priority: 100,
        scope: 'proxy',
        proxy_hostnames: [own],
      },
    });
    const through = await call(own, '/mcp');
    const routes = (await server.api<{ owner: string }[]>('GET', '/api/v1/routes')).body.filter(
      (r) => r.owner === 'mallory',
    );
    expect([created.status, through.status, routes.length]).toEqual([403, 502, 0]); // 502: the tenant's own (absent) backend
    expect(created.text).toContain(CUSTOM);

    // The same through an instance registered by another token (here the admin) that serves the protected backend.
    expect(
      (await server.api('POST', '/api/v1/instances', { body: { name: 'custom-backend', target_url: backend.url } }))
        .status,
    ).toBe(201);
    const viaInstance = await server.api('POST', '/api/v1/routes', {
      token: tenant,
      body: {
        path_pattern: '/',
        target_type: 'instance',
        target_value: 'custom-backend',
        bypass_auth: true,
        priority: 100,
        scope: 'proxy',
        proxy_hostnames: [own],
      },
    });
    expect([viaInstance.status, viaInstance.text, (await call(own, '/mcp')).status]).toEqual([
      403,
      expect.stringContaining('custom-backend'),
      502,
    ]);
  });
});
