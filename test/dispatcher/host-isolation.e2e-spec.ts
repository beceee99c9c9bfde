import { connect } from 'node:tls';
import { Backend, echoBackend, publicRequest } from '../support/loopback';
import { ServerProcess } from '../support/server-process';

/**
 * The admin surface is not reachable through the public listeners by Host tricks; only
 * ADMIN_HOSTNAME (all of it) and the allowlisted public paths (ACME challenge) reach the Nest app.
 */
describe('host isolation and the public surface', () => {
  let server: ServerProcess;
  let backend: Backend;

  beforeAll(async () => {
    [server, backend] = await Promise.all([
      ServerProcess.start({ env: { ADMIN_HOSTNAME: 'admin.example.test' } }),
      echoBackend(),
    ]);
    await server.api('POST', '/api/v1/proxy/targets', { body: { hostname: 'site.test', target_url: backend.url } });
  });
  afterAll(async () => {
    await Promise.all([server.stop(), backend.close()]);
  });

  const call = (host: string, path: string, tls = false) =>
    publicRequest({
      port: tls ? server.httpsPort : server.httpPort,
      host,
      path,
      tls,
      headers: { authorization: `Bearer ${server.adminToken}` },
    });

  it.each([
    ['localhost', '/api/v1/tokens'],
    ['localhost', '/health'],
    ['127.0.0.1', '/docs'],
    [`127.0.0.1:${9000}`, '/api/v1/tokens/me'],
    ['[::1]', '/openapi.json'],
  ])('Host %s %s gets the dispatcher 404, not the admin API', async (host, path) => {
    for (const tls of [false, true]) {
      const res = await call(host, path, tls);
      expect([res.status, res.text]).toEqual([
        404,
        `404 Not Found: no proxy target is configured for ${host.replace(/:\d+$/, '')}\n`,
      ]);
    }
  });

  it('serves the admin surface on ADMIN_HOSTNAME over HTTP and HTTPS', async () => {
    const health = await call('admin.example.test', '/health');
    expect(health.status).toBe(200);
    expect(health.json<{ status: string }>().status).toBe('ok');
    const me = await call('admin.example.test', '/api/v1/tokens/me', true);
    expect([me.status, me.json<{ name: string }>().name]).toEqual([200, 'ADMIN']);
    const unauthenticated = await publicRequest({
      port: server.httpPort,
      host: 'admin.example.test',
      path: '/api/v1/tokens',
    });
    expect(unauthenticated.status).toBe(401);
  });

  it('hands the ACME challenge path to the Nest app on every host, and nothing else', async () => {
    for (const host of ['site.test', 'unknown.test']) {
      const res = await call(host, '/.well-known/acme-challenge/token_123');
      // The certificates module's challenge route answers (no such challenge here): proves the hand-over.
      expect(res.status).toBe(404);
      expect(res.json()).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: 'no ACME challenge with this token',
        requestId: res.headers['x-request-id'],
      });
    }
    // Dot segments never reach Nest: the path is made canonical first (/api/v1/tokens, not a
    // challenge path), and the proxy target's backend gets that canonical path.
    const traversal = await call('site.test', '/.well-known/acme-challenge/../../api/v1/tokens');
    expect(traversal.json<{ backend: string; url: string }>()).toMatchObject({
      backend: 'echo',
      url: '/api/v1/tokens',
    });
    const health = await call('site.test', '/health');
    expect(health.json<{ backend: string }>().backend).toBe('echo');
  });

  it('presents the self-signed fallback certificate (BASE_DOMAIN) for names without a certificate', async () => {
    const socket = connect({
      host: '127.0.0.1',
      port: server.httpsPort,
      servername: 'site.test',
      rejectUnauthorized: false,
    });
    await new Promise((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    const cert = socket.getPeerCertificate();
    socket.destroy();
    expect(cert.subject.CN).toBe('example.test');
    expect(cert.subjectaltname).toBe('DNS:example.test, DNS:*.example.test, DNS:localhost, IP Address:127.0.0.1');
    expect(cert.issuer.CN).toBe('example.test');
  });
});
