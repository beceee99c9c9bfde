import { GithubStandin } from '../support/github-standin';
import { echoBackend, publicRequest, type Backend } from '../support/loopback';
import type { ServerProcess } from '../support/server-process';
import { startProtectedServer } from '../protection/protection-fixture';

const REDIRECTING = 'redirect.ports.test';
const PROTECTED = 'prot.ports.test';
const BROWSER = 'web.ports.test';
const PRM = '/.well-known/oauth-protected-resource';

/**
 * Public ports (issue 21 item 2): the listeners sit behind port mapping (443 → a random port here),
 * so every URL the proxy publishes uses PUBLIC_HTTPS_PORT / PUBLIC_HTTP_PORT, not the listener's
 * port: the HTTPS redirect, the PRM `resource`, the 401's resource_metadata URL (also for a
 * request a trusted balancer received over https and sent on over http).
 */
describe('public ports behind port mapping', () => {
  let github: GithubStandin;
  let server: ServerProcess & { issuer: string };
  let backend: Backend;

  beforeAll(async () => {
    github = await GithubStandin.start();
    backend = await echoBackend();
    server = await startProtectedServer(github, {
      PUBLIC_HTTPS_PORT: '443',
      PUBLIC_HTTP_PORT: '80',
      FORWARDED_TRUSTED_CIDRS: '127.0.0.1/32',
    });
    const redirecting = await server.api('POST', '/api/v1/proxy/targets', {
      body: { hostname: REDIRECTING, target_url: backend.url, redirect_http_to_https: true },
    });
    expect(redirecting.status).toBe(201);
    const prot = await server.api('POST', '/api/v1/proxy/targets', {
      body: { hostname: PROTECTED, target_url: backend.url },
    });
    expect(prot.status).toBe(201);
    const auth = await server.api('POST', `/api/v1/proxy/targets/${PROTECTED}/auth`, {
      body: { mode: 'forward', required_users: ['alice'] },
    });
    expect(auth.status).toBe(200);
    expect(
      (await server.api('POST', '/api/v1/proxy/targets', { body: { hostname: BROWSER, target_url: backend.url } }))
        .status,
    ).toBe(201);
    expect(
      (
        await server.api('POST', `/api/v1/proxy/targets/${BROWSER}/auth`, {
          body: { mode: 'redirect', required_users: ['alice'] },
        })
      ).status,
    ).toBe(200);
  });
  afterAll(async () => {
    await server?.stop();
    await backend?.close();
    await github?.stop();
  });

  it('redirects to https on the public port (none for 443), whatever port the listener has', async () => {
    const res = await publicRequest({
      port: server.httpPort,
      host: `${REDIRECTING}:${server.httpPort}`,
      path: '/page?q=1',
    });
    expect([res.status, res.headers.location]).toEqual([301, `https://${REDIRECTING}/page?q=1`]);
  });

  it('publishes the resource with the public https origin in its metadata', async () => {
    const res = await publicRequest({
      port: server.httpsPort,
      host: `${PROTECTED}:${server.httpsPort}`,
      path: PRM,
      tls: true,
    });
    expect(res.status).toBe(200);
    expect(res.json<{ resource: string }>().resource).toBe(`https://${PROTECTED}`);
  });

  it('names the public metadata URL in the 401, over https and behind a trusted balancer that received https', async () => {
    const direct = await publicRequest({
      port: server.httpsPort,
      host: `${PROTECTED}:${server.httpsPort}`,
      path: '/mcp',
      tls: true,
    });
    expect(direct.status).toBe(401);
    expect(direct.headers['www-authenticate']).toBe(`Bearer resource_metadata="https://${PROTECTED}${PRM}"`);
    const viaBalancer = await publicRequest({
      port: server.httpPort,
      host: PROTECTED,
      path: '/mcp',
      headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' },
      localAddress: '127.0.0.1',
    });
    expect(viaBalancer.status).toBe(401);
    expect(viaBalancer.headers['www-authenticate']).toBe(`Bearer resource_metadata="https://${PROTECTED}${PRM}"`);
  });

  it('sends browsers to sign in with the callback on the public https origin', async () => {
    const res = await publicRequest({
      port: server.httpsPort,
      host: `${BROWSER}:${server.httpsPort}`,
      path: '/page',
      tls: true,
    });
    expect(res.status).toBe(302);
    const location = new URL(String(res.headers.location));
    expect([location.searchParams.get('redirect_uri'), location.searchParams.get('resource')]).toEqual([
      `https://${BROWSER}/.auth/callback`,
      `https://${BROWSER}`,
    ]);
    expect(res.headers['set-cookie']?.[0]).toMatch(/; Secure$/);
  });
});
