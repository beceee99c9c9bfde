import { GithubStandin } from '../support/github-standin';
import { Backend, echoBackend, publicRequest } from '../support/loopback';
import { NginxProcess } from '../support/nginx';
import type { ServerProcess } from '../support/server-process';
import { obtainToken, startProtectedServer } from './protection-fixture';

/** nginx (Debian) with auth_request to /verify protecting a loopback backend; nginx config as in docs/oauth.md. */
describe('nginx auth_request with /verify', () => {
  let github: GithubStandin;
  let server: ServerProcess & { issuer: string };
  let backend: Backend;
  let nginx: NginxProcess;
  let resource: string;

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startProtectedServer(github);
    backend = await echoBackend('behind-nginx');
    nginx = await NginxProcess.start(
      (port) => `
  server {
    listen 127.0.0.1:${port};
    server_name app.example.test;

    location / {
      auth_request /_verify;
      auth_request_set $auth_user_id $upstream_http_x_auth_user_id;
      auth_request_set $auth_user_name $upstream_http_x_auth_user_name;
      auth_request_set $auth_scopes $upstream_http_x_auth_scopes;
      proxy_set_header X-Auth-User-Id $auth_user_id;
      proxy_set_header X-Auth-User-Name $auth_user_name;
      proxy_set_header X-Auth-Scopes $auth_scopes;
      proxy_set_header Authorization "";
      proxy_pass ${backend.url};
    }

    # The resource metadata comes from the server (its public listener, by Host).
    location /.well-known/oauth-protected-resource {
      proxy_set_header Host $http_host;
      proxy_pass http://127.0.0.1:${server.httpPort};
    }

    location = /_verify {
      internal;
      proxy_pass http://127.0.0.1:${server.apiPort}/verify;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Forwarded-Uri $request_uri;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Method $request_method;
    }
  }`,
    );
    resource = `http://app.example.test:${nginx.port}`;
    // The hostname is a proxy target of the server only for its protection settings; traffic goes through nginx.
    expect(
      (
        await server.api('POST', '/api/v1/proxy/targets', {
          body: { hostname: 'app.example.test', target_url: backend.url, enable_https: false },
        })
      ).status,
    ).toBe(201);
    expect(
      (await server.api('POST', '/api/v1/proxy/targets/app.example.test/auth', { body: { required_users: ['alice'] } }))
        .status,
    ).toBe(200);
    expect(
      (
        await server.api('POST', '/api/v1/resources', {
          body: { uri: resource, name: 'app behind nginx', proxy_target: 'app.example.test', scopes: ['mcp:read'] },
        })
      ).status,
    ).toBe(201);
  });
  afterAll(async () => {
    await nginx?.stop();
    await backend?.close();
    await server?.stop();
    await github?.stop();
  });

  const viaNginx = (headers: Record<string, string> = {}) =>
    publicRequest({ port: nginx.port, host: `app.example.test:${nginx.port}`, path: '/data?x=1', headers });

  it('answers 401 with the WWW-Authenticate of /verify when no token is sent; the metadata is reachable through nginx', async () => {
    const res = await viaNginx({ 'x-auth-user-name': 'mallory' });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(
      `Bearer resource_metadata="${resource}/.well-known/oauth-protected-resource", scope="mcp:read"`,
    );
    const metadata = await publicRequest({
      port: nginx.port,
      host: `app.example.test:${nginx.port}`,
      path: '/.well-known/oauth-protected-resource',
    });
    expect(metadata.status).toBe(200);
    expect(metadata.json()).toMatchObject({
      resource,
      authorization_servers: [server.issuer],
      scopes_supported: ['mcp:read'],
    });
  });

  it('lets a valid token through with identity headers reaching the backend; refuses other users with 403', async () => {
    const alice = await obtainToken(server.issuer, github, 'alice', resource, 'mcp:read');
    const ok = await viaNginx({ authorization: `Bearer ${alice.access_token}`, 'x-auth-user-name': 'mallory' });
    expect(ok.status).toBe(200);
    const seen = ok.json();
    expect(seen.url).toBe('/data?x=1');
    expect(seen.headers['x-auth-user-name']).toBe('alice');
    expect(seen.headers['x-auth-user-id']).toMatch(/^\d+$/);
    expect(seen.headers['x-auth-scopes']).toBe('mcp:read');
    expect(seen.headers.authorization).toBeUndefined();

    const bob = await obtainToken(server.issuer, github, 'bob', resource, 'mcp:read');
    expect((await viaNginx({ authorization: `Bearer ${bob.access_token}` })).status).toBe(403);
    expect((await viaNginx({ authorization: `Bearer ${alice.access_token.slice(0, -4)}AAAA` })).status).toBe(401);
  });
});
