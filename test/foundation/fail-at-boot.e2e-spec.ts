import { runServerExpectingExit, ServerProcess } from '../support/server-process';

/**
 * Issue 21 item 7: configuration that makes a feature impossible is reported when the server
 * starts (a one-line configuration error, exit 2) or, where the rest of the server is useful, by a
 * loud warning at start plus a 409 naming the setting on the API calls it affects. Workflow retries
 * never discover it.
 */
describe('configuration that makes a feature impossible is reported at start', () => {
  const base = { REDIS_URL: 'redis://127.0.0.1:1', ADMIN_TOKEN: 'acm_0123456789abcdefghij' };

  it('ACME_CA_BUNDLE that cannot be read: one line, exit 2', async () => {
    const { code, output } = await runServerExpectingExit({ ...base, ACME_CA_BUNDLE: '/nonexistent/pebble.pem' });
    expect({ code, lines: output.trim().split('\n') }).toEqual({
      code: 2,
      lines: [
        "configuration error: ACME_CA_BUNDLE cannot be read (/nonexistent/pebble.pem: ENOENT): it must be a PEM file of the ACME server's CA certificates",
      ],
    });
  });

  it('ACME_CA_BUNDLE without a certificate: one line, exit 2', async () => {
    const { code, output } = await runServerExpectingExit({ ...base, ACME_CA_BUNDLE: '/etc/hostname' });
    expect(code).toBe(2);
    expect(output.trim().split('\n')).toEqual([
      'configuration error: ACME_CA_BUNDLE (/etc/hostname) holds no PEM certificate (-----BEGIN CERTIFICATE-----)',
    ]);
  });

  it('a GitHub client id without its secret (or the reverse): one line, exit 2', async () => {
    const id = await runServerExpectingExit({ ...base, GITHUB_CLIENT_ID: 'Iv1.0123456789' });
    expect({ code: id.code, lines: id.output.trim().split('\n') }).toEqual({
      code: 2,
      lines: [
        "configuration error: GITHUB_CLIENT_SECRET is required when GITHUB_CLIENT_ID is set (the GitHub OAuth app's client secret); GitHub login cannot work without both",
      ],
    });
    const secret = await runServerExpectingExit({ ...base, GITHUB_CLIENT_SECRET: 'secret-0123456789' });
    expect(secret.code).toBe(2);
    expect(secret.output.trim()).toBe(
      "configuration error: GITHUB_CLIENT_ID is required when GITHUB_CLIENT_SECRET is set (the GitHub OAuth app's client id); GitHub login cannot work without both",
    );
  });

  describe('certificates without STORAGE_ENCRYPTION_KEY', () => {
    let server: ServerProcess;
    beforeAll(async () => {
      server = await ServerProcess.start({
        env: { STORAGE_ENCRYPTION_KEY: '', AUTO_CERTIFICATES: 'true', BASE_DOMAIN: 'example.test' },
      });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('warns at start, naming the setting', () => {
      expect(server.logs).toMatch(/STORAGE_ENCRYPTION_KEY is not set: certificates are unavailable/);
    });

    it('a target with HTTPS answers 409 naming the setting and leaves nothing behind', async () => {
      const created = await server.api<{ message: string }>('POST', '/api/v1/proxy/targets', {
        body: { hostname: 'app.example.test', target_url: 'http://127.0.0.1:9', enable_https: true },
      });
      expect({ status: created.status, message: created.body.message }).toEqual({
        status: 409,
        message: expect.stringMatching(/^certificates need STORAGE_ENCRYPTION_KEY/),
      });
      expect((await server.api('GET', '/api/v1/proxy/targets/app.example.test')).status).toBe(404);
      const cert = await server.api<{ message: string }>('POST', '/api/v1/certificates', {
        body: { domain: 'app.example.test' },
      });
      expect({ status: cert.status, message: cert.body.message }).toEqual({
        status: 409,
        message: expect.stringMatching(/^certificates need STORAGE_ENCRYPTION_KEY/),
      });
      const events = await server.api<{ events: unknown[] }>(
        'GET',
        '/api/v1/workflow/events?type=certificate.order_requested',
      );
      expect(events.body.events).toEqual([]);
    });

    it('/health is degraded, naming the setting (the auth hostname cannot get its certificate)', async () => {
      const health = await server.api<{ status: string; reasons?: string[] }>('GET', '/health', { token: null });
      expect(health.body.status).toBe('degraded');
      expect(health.body.reasons).toEqual([
        expect.stringMatching(
          /^AUTH_HOSTNAME auth\.example\.test has no valid certificate \(missing: STORAGE_ENCRYPTION_KEY is not set/,
        ),
      ]);
    });
  });
});
