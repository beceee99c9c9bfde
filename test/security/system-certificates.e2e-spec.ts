import { waitFor } from '../support/wait';
import { ServerProcess } from '../support/server-process';

interface Certificate {
  cert_name: string;
  owner: string;
  system: boolean;
  domains: string[];
  status: string;
  error: string | null;
}

interface Health {
  status: string;
  reasons?: string[];
  system_certificates?: {
    role: string;
    hostname: string;
    cert_name: string;
    status: string;
    valid: boolean;
    error: string | null;
  }[];
}

interface Events {
  events: { type: string; payload: Record<string, unknown> }[];
}

/**
 * The certificates of the server's own hostnames (AUTH_HOSTNAME, ADMIN_HOSTNAME): ordered by the
 * server itself once cluster-wide, owned by no token, never deletable through the API; /health says
 * `degraded` while they are not valid. The harness's ACME directory is a closed loopback port, so
 * every order fails at once (the issuing path is test/production/rehearsal.e2e-spec.ts, with Pebble).
 */
describe("system certificates (the server's own hostnames)", () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let tenant: string;
  const env = { AUTO_CERTIFICATES: 'true', BASE_DOMAIN: 'example.test', ADMIN_HOSTNAME: 'admin.example.test' };
  const AUTH_CERT = 'system-auth-example-test';
  const ADMIN_CERT = 'system-admin-example-test';

  beforeAll(async () => {
    // Two replicas on one key prefix, started together: the certificates must be ordered once.
    const first = await ServerProcess.prepare({ env });
    const second = await ServerProcess.prepare({ env, keyPrefix: first.keyPrefix });
    await Promise.all([first.launch(), second.launch()]);
    [a, b] = [first, second];
    const token = await a.api<{ token: string }>('POST', '/api/v1/tokens', { body: { name: 'tenant' } });
    tenant = token.body.token;
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  const certificate = async (name: string) => (await a.api<Certificate>('GET', `/api/v1/certificates/${name}`)).body;

  it('creates one system certificate per own hostname, ordered once across replicas', async () => {
    await waitFor(
      'both system certificates to fail (no ACME server)',
      async () => [(await certificate(AUTH_CERT))?.status, (await certificate(ADMIN_CERT))?.status],
      (s) => s[0] === 'failed' && s[1] === 'failed',
      { timeoutMs: 20_000 },
    );
    const list = await a.api<Certificate[]>('GET', '/api/v1/certificates');
    expect(
      list.body.map((c) => ({ cert_name: c.cert_name, owner: c.owner, system: c.system, domains: c.domains })),
    ).toEqual([
      { cert_name: ADMIN_CERT, owner: '@system', system: true, domains: ['admin.example.test'] },
      { cert_name: AUTH_CERT, owner: '@system', system: true, domains: ['auth.example.test'] },
    ]);
    expect((await certificate(AUTH_CERT)).error).toMatch(/could not reach the ACME server/);
    const events = await a.api<Events>('GET', '/api/v1/workflow/events?limit=100&type=certificate.order_requested');
    const ordered = events.body.events.map((e) => e.payload.cert_name).sort();
    expect(ordered).toEqual([ADMIN_CERT, AUTH_CERT]);
  });

  it('/health is degraded (still 200) and names the hostname without a valid certificate', async () => {
    const health = await a.api<Health>('GET', '/health', { token: null });
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('degraded');
    expect(health.body.system_certificates).toEqual([
      expect.objectContaining({
        role: 'AUTH_HOSTNAME',
        hostname: 'auth.example.test',
        cert_name: AUTH_CERT,
        status: 'failed',
        valid: false,
      }),
      expect.objectContaining({
        role: 'ADMIN_HOSTNAME',
        hostname: 'admin.example.test',
        cert_name: ADMIN_CERT,
        status: 'failed',
        valid: false,
      }),
    ]);
    expect(health.body.reasons).toEqual([
      expect.stringMatching(
        /^AUTH_HOSTNAME auth\.example\.test has no valid certificate \(failed: could not reach the ACME server/,
      ),
      expect.stringMatching(/^ADMIN_HOSTNAME admin\.example\.test has no valid certificate/),
    ]);
  });

  it('a tenant neither sees nor deletes nor renews them; deleting answers 409 saying why', async () => {
    const listed = await a.api<Certificate[]>('GET', '/api/v1/certificates', { token: tenant });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([]);
    const del = await a.api<{ message: string }>('DELETE', `/api/v1/certificates/${AUTH_CERT}`, { token: tenant });
    expect(del.status).toBe(409);
    expect(del.body.message).toMatch(
      /is a system certificate: the server orders it for its own hostname auth\.example\.test/,
    );
    const renew = await a.api('POST', `/api/v1/certificates/${AUTH_CERT}/renew?force=true`, { token: tenant });
    expect(renew.status).toBe(403);
    expect((await certificate(AUTH_CERT)).cert_name).toBe(AUTH_CERT);
  });

  it('the admin cannot delete them either, but can force a renewal', async () => {
    const del = await a.api<{ message: string }>('DELETE', `/api/v1/certificates/${AUTH_CERT}`);
    expect(del.status).toBe(409);
    const renew = await b.api<Certificate>('POST', `/api/v1/certificates/${AUTH_CERT}/renew?force=true`);
    expect(renew.status).toBe(202);
    expect(renew.body).toMatchObject({ cert_name: AUTH_CERT, status: 'pending', system: true });
    await waitFor(
      'the forced renewal to fail (no ACME server)',
      async () => (await certificate(AUTH_CERT)).status,
      (status) => status === 'failed',
      { timeoutMs: 20_000 },
    );
  });

  it('a localhost installation (npm start) orders nothing and stays ok', async () => {
    const dev = await ServerProcess.start({ env: { AUTO_CERTIFICATES: 'true', BASE_DOMAIN: 'localhost' } });
    try {
      const health = await dev.api<Health>('GET', '/health', { token: null });
      expect(health.body.status).toBe('ok');
      expect(health.body).not.toHaveProperty('system_certificates');
      expect((await dev.api<Certificate[]>('GET', '/api/v1/certificates')).body).toEqual([]);
    } finally {
      await dev.stop();
    }
  });
});
