import { createServer, type Server } from 'node:net';
import { Backend, echoBackend, publicRequest } from '../support/loopback';
import { ServerProcess } from '../support/server-process';

/**
 * Proxy targets through the admin API, then real requests through the public HTTP and HTTPS
 * listeners to real loopback backends.
 */
describe('proxy targets and forwarding', () => {
  let server: ServerProcess;
  let backend: Backend;
  let other: Backend;
  let userToken: string;

  beforeAll(async () => {
    [server, backend, other] = await Promise.all([ServerProcess.start(), echoBackend('main'), echoBackend('other')]);
    userToken = (await server.api<{ token: string }>('POST', '/api/v1/tokens', { body: { name: 'alice' } })).body.token;
  });
  afterAll(async () => {
    await Promise.all([server.stop(), backend.close(), other.close()]);
  });

  const get = (host: string, path = '/', headers: Record<string, string> = {}) =>
    publicRequest({ port: server.httpPort, host, path, headers });

  it('creates a target (normalised hostname) answering {proxy_target, certificate_status, cert_name} and serves it', async () => {
    const created = await server.api<{
      proxy_target: { hostname: string; owner: string };
      certificate_status: null;
      cert_name: null;
    }>('POST', '/api/v1/proxy/targets', {
      token: userToken,
      body: { hostname: 'App.Example.Test', target_url: `${backend.url}/base` },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      proxy_target: { hostname: 'app.example.test', owner: 'alice', enable_http: true, preserve_host_header: true },
      certificate_status: null,
      cert_name: null,
    });

    const res = await get('app.example.test', '/hello?x=1');
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({
      backend: 'main',
      method: 'GET',
      url: '/base/hello?x=1',
      headers: { host: 'app.example.test', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'app.example.test' },
    });

    const tls = await publicRequest({ port: server.httpsPort, host: 'app.example.test', path: '/secure', tls: true });
    expect(tls.status).toBe(200);
    expect(tls.json()).toMatchObject({ url: '/base/secure', headers: { 'x-forwarded-proto': 'https' } });
  });

  it('never passes client-supplied identity headers to the backend', async () => {
    const res = await get('app.example.test', '/', {
      'X-Auth-User': 'admin',
      'X-Auth-Email': 'root@example.com',
      'X-Forwarded-For': '6.6.6.6',
      'X-Forwarded-Host': 'evil.test',
      'X-Real-IP': '6.6.6.6',
      Forwarded: 'for=6.6.6.6',
      Connection: 'keep-alive, X-Hop',
      'X-Hop': 'secret',
    });
    const { headers } = res.json();
    expect(headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(headers['x-real-ip']).toBe('127.0.0.1');
    expect(headers['x-forwarded-host']).toBe('app.example.test');
    for (const name of ['x-auth-user', 'x-auth-email', 'forwarded', 'x-hop']) expect(headers).not.toHaveProperty(name);
  });

  it('validates input with messages that say what to fix', async () => {
    const badHost = await server.api<{ message: string }>('POST', '/api/v1/proxy/targets', {
      body: { hostname: 'a.test:8080', target_url: backend.url },
    });
    expect([badHost.status, badHost.body.message]).toEqual([
      400,
      'hostname "a.test:8080" is not a DNS name: give a name such as api.example.com, without scheme, port or path',
    ]);
    const badUrl = await server.api<{ message: string }>('POST', '/api/v1/proxy/targets', {
      body: { hostname: 'b.test', target_url: 'ftp://x' },
    });
    expect([badUrl.status, badUrl.body.message]).toEqual([
      400,
      'target_url must be an http:// or https:// URL, e.g. http://127.0.0.1:3000',
    ]);
    const dup = await server.api('POST', '/api/v1/proxy/targets', {
      body: { hostname: 'app.example.test', target_url: backend.url },
    });
    expect(dup.status).toBe(409);
    const badHeader = await server.api<{ message: string }>('POST', '/api/v1/proxy/targets', {
      body: { hostname: 'c.test', target_url: backend.url, custom_headers: { Host: 'x' } },
    });
    expect([badHeader.status, badHeader.body.message]).toEqual([
      400,
      'custom_headers: "Host" is managed by the proxy and cannot be set',
    ]);
  });

  it('applies every updated setting to the next request', async () => {
    const updated = await server.api('PUT', '/api/v1/proxy/targets/app.example.test', {
      token: userToken,
      body: {
        target_url: other.url,
        preserve_host_header: false,
        custom_headers: { 'X-Team': 'blue' },
        custom_response_headers: { 'X-Frame-Options': 'DENY' },
      },
    });
    expect(updated.status).toBe(200);
    const res = await get('app.example.test', '/after');
    expect(res.json()).toMatchObject({
      backend: 'other',
      url: '/after',
      headers: { host: `127.0.0.1:${other.port}`, 'x-team': 'blue' },
    });
    expect(res.headers['x-frame-options']).toBe('DENY');

    await server.api('PUT', '/api/v1/proxy/targets/app.example.test', {
      token: userToken,
      body: { redirect_http_to_https: true },
    });
    const redirected = await get('app.example.test', '/r?q=1');
    expect([redirected.status, redirected.headers.location]).toEqual([
      301,
      `https://app.example.test:${server.httpsPort}/r?q=1`,
    ]);
    expect(
      (await publicRequest({ port: server.httpsPort, host: 'app.example.test', path: '/r', tls: true })).json(),
    ).toMatchObject({ backend: 'other' });

    await server.api('PUT', '/api/v1/proxy/targets/app.example.test', {
      token: userToken,
      body: { redirect_http_to_https: false, enable_http: false },
    });
    const httpOff = await get('app.example.test');
    expect([httpOff.status, httpOff.text]).toEqual([404, '404 Not Found: app.example.test is not served over http\n']);

    await server.api('PUT', '/api/v1/proxy/targets/app.example.test', {
      token: userToken,
      body: { enable_http: true, enabled: false },
    });
    expect((await get('app.example.test')).status).toBe(404);
    await server.api('PUT', '/api/v1/proxy/targets/app.example.test', { token: userToken, body: { enabled: true } });
    expect((await get('app.example.test')).status).toBe(200);
  });

  it('keeps targets to their owner; the admin sees all', async () => {
    await server.api('POST', '/api/v1/proxy/targets', {
      body: { hostname: 'admin-only.test', target_url: backend.url },
    });
    const mine = await server.api<{ hostname: string }[]>('GET', '/api/v1/proxy/targets', { token: userToken });
    expect(mine.body.map((t) => t.hostname)).toEqual(['app.example.test']);
    const all = await server.api<{ hostname: string }[]>('GET', '/api/v1/proxy/targets');
    expect(all.body.map((t) => t.hostname).sort()).toEqual(['admin-only.test', 'app.example.test']);
    expect((await server.api('GET', '/api/v1/proxy/targets/admin-only.test', { token: userToken })).status).toBe(403);
    expect((await server.api('DELETE', '/api/v1/proxy/targets/admin-only.test', { token: userToken })).status).toBe(
      403,
    );
    const counts = await server.api<{ owned: Record<string, number> }>('GET', '/api/v1/tokens/alice');
    expect(counts.body.owned).toMatchObject({ proxy_targets: 1 });
  });

  it('answers 404 for unknown hostnames, JSON when the client accepts JSON', async () => {
    const text = await get('nobody.test');
    expect([text.status, text.headers['content-type'], text.text]).toEqual([
      404,
      'text/plain; charset=utf-8',
      '404 Not Found: no proxy target is configured for nobody.test\n',
    ]);
    const json = await get('nobody.test', '/', { accept: 'application/json' });
    expect(json.status).toBe(404);
    expect(json.json()).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'no proxy target is configured for nobody.test',
      requestId: json.headers['x-request-id'],
    });
  });

  it('answers 502 when the backend refuses and 504 when it does not answer in time', async () => {
    // Port 1 (privileged, nothing listens): a port freed a moment ago could be taken by a parallel suite.
    await server.api('POST', '/api/v1/proxy/targets', {
      body: { hostname: 'refused.test', target_url: 'http://127.0.0.1:1' },
    });
    const refused = await get('refused.test', '/', { accept: 'application/json' });
    expect([refused.status, refused.json<{ message: string }>().message]).toEqual([
      502,
      'the backend refused the connection',
    ]);

    // A backend that accepts the connection and never answers.
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as { port: number }).port;
      await server.api('POST', '/api/v1/proxy/targets', {
        body: { hostname: 'slow.test', target_url: `http://127.0.0.1:${port}`, read_timeout: 1 },
      });
      const slow = await get('slow.test');
      expect([slow.status, slow.text]).toEqual([504, '504 Gateway Timeout: the backend did not answer in time\n']);
    } finally {
      silent.close();
    }
  });

  it('reuses kept-alive backend connections and replays a body-less request once when the backend dropped one', async () => {
    // Every second request on a connection is dropped unanswered, as a backend closing an idle connection does.
    const perSocket = new WeakMap<object, number>();
    const connections = new Set<object>();
    const flaky = await Backend.start((req, res) => {
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      connections.add(req.socket);
      if (n === 2) return void req.socket.destroy();
      req.resume();
      req.on('end', () => res.end(`ok ${req.method}`));
    });
    try {
      await server.api('POST', '/api/v1/proxy/targets', { body: { hostname: 'flaky.test', target_url: flaky.url } });
      const first = await get('flaky.test');
      const second = await get('flaky.test');
      expect([first.status, first.text, second.status, second.text]).toEqual([200, 'ok GET', 200, 'ok GET']);
      expect(connections.size).toBe(2); // the first connection was kept alive and reused, then replaced
      // A request with a body is not replayed: the client learns the backend failed.
      await get('flaky.test'); // second use of connection 2 is dropped and replayed on connection 3
      const post = await publicRequest({
        port: server.httpPort,
        host: 'flaky.test',
        method: 'POST',
        body: 'data',
        headers: { 'content-type': 'text/plain' },
      });
      expect(post.status).toBe(502);
    } finally {
      await flaky.close();
    }
  });

  it('stops serving a deleted target, and deleting a token deletes its targets', async () => {
    const deleted = await server.api('DELETE', '/api/v1/proxy/targets/refused.test');
    expect([deleted.status, deleted.body]).toEqual([
      200,
      { hostname: 'refused.test', deleted: true, certificate_deleted: false },
    ]);
    expect((await get('refused.test')).status).toBe(404);

    const removed = await server.api<{ deleted: Record<string, number> }>('DELETE', '/api/v1/tokens/alice');
    expect(removed.body.deleted).toMatchObject({ proxy_targets: 1 });
    expect((await get('app.example.test')).status).toBe(404);
    expect((await server.api('GET', '/api/v1/proxy/targets/app.example.test')).status).toBe(404);
  });
});
