import { ServerProcess } from '../support/server-process';

interface ErrorBody {
  statusCode: number;
  message: string;
}

const AUTH = 'auth.example.test';
const ADMIN = 'admin.example.test';
const ISSUER = 'issuer.example.test';

/** The precise refusal for each reserved name: it names the setting that reserves it. */
const REFUSAL: Record<string, string> = {
  [AUTH]: `${AUTH} is the authorization server's hostname (AUTH_HOSTNAME) and is reserved: only the admin token may use it`,
  [ADMIN]: `${ADMIN} is the admin hostname (ADMIN_HOSTNAME) and is reserved: only the admin token may use it`,
  [ISSUER]: `${ISSUER} is the OAuth issuer's hostname (OAUTH_ISSUER) and is reserved: only the admin token may use it`,
};

/**
 * Issue 16, class 3: a non-admin token can claim none of the authorization server's, the admin's or
 * the issuer's hostnames, through any write path (targets, certificates, routes, docker auto_proxy),
 * in any spelling (case, trailing dot); nothing is stored. The admin token still may.
 */
describe('reserved hostnames', () => {
  let server: ServerProcess;
  let tenant: string;

  beforeAll(async () => {
    server = await ServerProcess.start({
      env: {
        AUTH_HOSTNAME: AUTH,
        ADMIN_HOSTNAME: ADMIN,
        OAUTH_ISSUER: `https://${ISSUER}`,
        DOCKER_IMAGE_ALLOWLIST: 'busybox:*',
        // No Docker engine is needed: the refusal comes before the engine is asked (closed loopback port).
        DOCKER_HOST: 'tcp://127.0.0.1:9',
      },
    });
    const created = await server.api<{ token: string }>('POST', '/api/v1/tokens', { body: { name: 'tenant' } });
    expect(created.status).toBe(201);
    tenant = created.body.token;
    expect(
      (
        await server.api('POST', '/api/v1/proxy/targets', {
          token: tenant,
          body: { hostname: 'tenant.example.test', target_url: 'http://127.0.0.1:9' },
        })
      ).status,
    ).toBe(201);
  });
  afterAll(async () => {
    await server?.stop();
  });

  const targets = async () =>
    (await server.api<{ hostname: string }[]>('GET', '/api/v1/proxy/targets')).body.map((t) => t.hostname).sort();
  const certificates = async () =>
    (await server.api<{ cert_name: string }[]>('GET', '/api/v1/certificates')).body.map((c) => c.cert_name).sort();
  const routes = async () =>
    (await server.api<{ route_id: string; proxy_hostnames: string[]; target_value: string }[]>('GET', '/api/v1/routes'))
      .body;

  it('refuses a proxy target on a reserved hostname, in any spelling, and stores nothing', async () => {
    for (const [hostname, reserved] of [
      [AUTH, AUTH],
      ['AUTH.Example.Test.', AUTH],
      [ADMIN, ADMIN],
      [`${ADMIN}.`, ADMIN],
      [ISSUER, ISSUER],
      ['Issuer.EXAMPLE.test', ISSUER],
      ['\uff41\uff55\uff54\uff48.example.test', AUTH], // full-width letters: IDN mapping gives "auth"
    ]) {
      const res = await server.api<ErrorBody>('POST', '/api/v1/proxy/targets', {
        token: tenant,
        body: { hostname, target_url: 'http://127.0.0.1:9' },
      });
      expect([hostname, res.status, res.body.message]).toEqual([hostname, 403, REFUSAL[reserved]]);
    }
    expect(await targets()).toEqual(['tenant.example.test']);
  });

  it('refuses certificates that list a reserved hostname (single and multi-domain) and stores nothing', async () => {
    const single = await server.api<ErrorBody>('POST', '/api/v1/certificates', {
      token: tenant,
      body: { domain: 'Auth.Example.Test' },
    });
    expect([single.status, single.body.message]).toEqual([403, REFUSAL[AUTH]]);
    const multi = await server.api<ErrorBody>('POST', '/api/v1/certificates/multi-domain', {
      token: tenant,
      body: { cert_name: 'mixed', domains: ['tenant.example.test', `${ISSUER}.`], acme_directory_url: 'production' },
    });
    expect([multi.status, multi.body.message]).toEqual([403, REFUSAL[ISSUER]]);
    // A wildcard covering a reserved name is refused too (wildcards are refused for everyone: HTTP-01).
    const wildcard = await server.api<ErrorBody>('POST', '/api/v1/certificates/multi-domain', {
      token: tenant,
      body: { cert_name: 'wild', domains: ['*.example.test'], acme_directory_url: 'production' },
    });
    expect(wildcard.status).toBe(400);
    expect(await certificates()).toEqual([]);
  });

  it('refuses routes that steer or reach a reserved hostname, on create and on update', async () => {
    const onHost = await server.api<ErrorBody>('POST', '/api/v1/routes', {
      token: tenant,
      body: {
        path_pattern: '/x/',
        target_type: 'url',
        target_value: 'http://127.0.0.1:9',
        scope: 'proxy',
        proxy_hostnames: ['tenant.example.test', 'AUTH.example.test'],
      },
    });
    expect([onHost.status, onHost.body.message]).toEqual([403, REFUSAL[AUTH]]);
    const toHost = await server.api<ErrorBody>('POST', '/api/v1/routes', {
      token: tenant,
      body: {
        path_pattern: '/x/',
        target_type: 'hostname',
        target_value: `${ADMIN}.`,
        scope: 'proxy',
        proxy_hostnames: ['tenant.example.test'],
      },
    });
    expect([toHost.status, toHost.body.message]).toEqual([403, REFUSAL[ADMIN]]);
    expect(await routes()).toEqual([]);

    const own = await server.api<{ route_id: string }>('POST', '/api/v1/routes', {
      token: tenant,
      body: {
        path_pattern: '/x/',
        target_type: 'url',
        target_value: 'http://127.0.0.1:9',
        scope: 'proxy',
        proxy_hostnames: ['tenant.example.test'],
      },
    });
    expect(own.status).toBe(201);
    const moved = await server.api<ErrorBody>('PUT', `/api/v1/routes/${own.body.route_id}`, {
      token: tenant,
      body: { proxy_hostnames: [ISSUER] },
    });
    expect([moved.status, moved.body.message]).toEqual([403, REFUSAL[ISSUER]]);
    const retargeted = await server.api<ErrorBody>('PUT', `/api/v1/routes/${own.body.route_id}`, {
      token: tenant,
      body: { target_type: 'hostname', target_value: AUTH },
    });
    expect([retargeted.status, retargeted.body.message]).toEqual([403, REFUSAL[AUTH]]);
    expect((await routes()).map((r) => [r.proxy_hostnames, r.target_value])).toEqual([
      [['tenant.example.test'], 'http://127.0.0.1:9'],
    ]);
    expect((await server.api('DELETE', `/api/v1/routes/${own.body.route_id}`, { token: tenant })).status).toBe(200);
  });

  it('refuses a docker service whose auto_proxy hostname (<name>.<BASE_DOMAIN>) is reserved, before anything is stored', async () => {
    const res = await server.api<ErrorBody>('POST', '/api/v1/services', {
      token: tenant,
      body: { service_name: 'auth', image: 'busybox:1.36', internal_port: 80, auto_proxy: true },
    });
    expect([res.status, res.body.message]).toEqual([403, REFUSAL[AUTH]]);
    expect((await server.api<unknown[]>('GET', '/api/v1/services')).body).toEqual([]);
  });

  it('lets the admin token use reserved hostnames (the server may serve or certify its own names)', async () => {
    const target = await server.api('POST', '/api/v1/proxy/targets', {
      body: { hostname: AUTH, target_url: 'http://127.0.0.1:9' },
    });
    expect(target.status).toBe(201);
    const certificate = await server.api<{ domains: string[] }>('POST', '/api/v1/certificates', {
      body: { domain: ISSUER },
    });
    expect([certificate.status, certificate.body.domains]).toEqual([201, [ISSUER]]);
    const route = await server.api('POST', '/api/v1/routes', {
      body: {
        path_pattern: '/y/',
        target_type: 'hostname',
        target_value: AUTH,
        scope: 'proxy',
        proxy_hostnames: [ADMIN],
      },
    });
    expect(route.status).toBe(201);
    expect(await targets()).toEqual([AUTH, 'tenant.example.test']);
  });
});
