import { Test, TestingModule } from '@nestjs/testing';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AddressInfo } from 'node:net';
import { connect, createServer, Server } from 'node:tls';
import { TLS_CONTEXT_PROVIDER, TlsContextModule, type TlsContextProvider } from '@app/certificates';
import { ConfigModule, parseEnvironment } from '@app/config';
import { CryptoModule } from '@app/crypto';
import { RedisModule } from '@app/redis';
import { challengePortOf, Pebble } from '../support/pebble';
import { ServerProcess, TEST_STORAGE_ENCRYPTION_KEY } from '../support/server-process';
import { scanKeys, testRedisClient, testRedisEnv, TestRedisClient } from '../support/test-redis';
import { waitFor } from '../support/wait';

jest.setTimeout(120_000);

interface Certificate {
  cert_name: string;
  system: boolean;
  domains: string[];
  status: string;
  error: string | null;
  error_at: string | null;
  fingerprint: string | null;
  issuer: string | null;
  expires_at: string | null;
  renewal_failures: number;
  next_renewal_attempt_at: string | null;
  certificate_pem?: string | null;
  private_key_pem?: string | null;
}

interface Served {
  authorized: boolean;
  authorizationError?: string;
  fingerprint: string;
  altNames: string;
}

/** How long issuance, renewal and the SNI cache may take to show a change. */
const ISSUANCE = { timeoutMs: 60_000, intervalMs: 250 };

/**
 * Real issuance from Pebble. Pebble validates HTTP-01 on replica A's port (challengePortOf); orders
 * are placed through replica B, so the challenge answer must travel through Redis. The SNI provider
 * runs in this test process against the same Redis and key prefix, behind a real TLS server whose
 * served chain is verified against Pebble's root.
 */
describe('certificates from a real ACME CA (Pebble)', () => {
  let pebble: Pebble;
  let a: ServerProcess;
  let b: ServerProcess;
  let root: string;
  let sni: TestingModule;
  let provider: TlsContextProvider;
  let tlsServer: Server;
  let redis: TestRedisClient;

  const serve = (servername: string): Promise<Served> =>
    new Promise((resolve, reject) => {
      const socket = connect(
        {
          host: '127.0.0.1',
          port: (tlsServer.address() as AddressInfo).port,
          servername,
          ca: root,
          rejectUnauthorized: false,
        },
        () => {
          const peer = socket.getPeerCertificate();
          resolve({
            authorized: socket.authorized,
            authorizationError: socket.authorizationError?.message,
            fingerprint: peer.fingerprint256,
            altNames: peer.subjectaltname ?? '',
          });
          socket.end();
        },
      );
      socket.once('error', reject);
    });
  const show = async (server: ServerProcess, name: string) =>
    (await server.api<Certificate>('GET', `/api/v1/certificates/${name}`)).body;

  beforeAll(async () => {
    pebble = await Pebble.prepare();
    const env = {
      ...pebble.serverEnv,
      RENEWAL_CHECK_SECONDS: '1',
      ADMIN_EMAIL: 'certs@example.org',
      AUTO_CERTIFICATES: 'true',
    };
    a = await ServerProcess.start({ env });
    b = await ServerProcess.start({ env, keyPrefix: a.keyPrefix });
    await pebble.start(challengePortOf(a));
    root = await pebble.root();

    const sniEnv = parseEnvironment({
      ADMIN_TOKEN: 'acm_sni_test_0123456789',
      ...testRedisEnv(),
      REDIS_KEY_PREFIX: a.keyPrefix,
      STORAGE_ENCRYPTION_KEY: TEST_STORAGE_ENCRYPTION_KEY,
      CONFIG_POLL_SECONDS: '1',
      LOG_LEVEL: 'silent',
    });
    sni = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(sniEnv), RedisModule, CryptoModule, TlsContextModule],
    }).compile();
    sni.useLogger(false);
    await sni.init();
    provider = sni.get<TlsContextProvider>(TLS_CONTEXT_PROVIDER);
    tlsServer = createServer({
      SNICallback: (servername, callback) => {
        const context = provider.getSecureContext(servername);
        if (context) callback(null, context);
        else callback(new Error(`no certificate for ${servername}`));
      },
    });
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    redis = testRedisClient();
  });

  afterAll(async () => {
    await new Promise((resolve) => tlsServer?.close(resolve));
    await sni?.close();
    redis?.disconnect();
    await Promise.all([a?.stop(), b?.stop()]);
    await pebble?.stop();
  });

  it('issues a single-domain certificate ordered through replica B while Pebble validates on replica A', async () => {
    const created = await b.api<Certificate>('POST', '/api/v1/certificates', {
      body: { domain: 'Single.Example.test' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      cert_name: 'proxy-single-example-test',
      domains: ['single.example.test'],
      status: 'pending',
      email: 'certs@example.org',
      acme_directory_url: pebble.directoryUrl,
      owner: 'ADMIN',
    });

    const status = await b.api<Certificate>('GET', '/api/v1/certificates/proxy-single-example-test/status?wait=60');
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({
      cert_name: 'proxy-single-example-test',
      status: 'active',
      error: null,
      order_running: false,
    });

    const cert = await show(a, 'proxy-single-example-test');
    expect(cert.status).toBe('active');
    expect(cert.issuer).toMatch(/Pebble Intermediate/);
    expect(cert.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(Date.parse(cert.expires_at ?? '')).toBeGreaterThan(Date.now());
    expect(cert).not.toHaveProperty('private_key_pem');
    const leaf = new X509Certificate(cert.certificate_pem ?? '');
    expect(leaf.subjectAltName).toBe('DNS:single.example.test');
    expect(leaf.fingerprint256).toBe(cert.fingerprint);
    expect(pebble.logs).toContain(`single.example.test:${challengePortOf(a)}/.well-known/acme-challenge/`);

    const served = await waitFor(
      'the SNI provider to serve the issued certificate',
      () => serve('single.example.test'),
      (s) => s.fingerprint === cert.fingerprint,
      ISSUANCE,
    );
    expect(served).toEqual({
      authorized: true,
      authorizationError: undefined,
      fingerprint: cert.fingerprint,
      altNames: 'DNS:single.example.test',
    });
  });

  it('issues one certificate for several names and serves it for each by SNI', async () => {
    const domains = ['m1.example.test', 'm2.example.test', 'm3.example.test'];
    const created = await a.api<Certificate>('POST', '/api/v1/certificates/multi-domain', {
      body: { cert_name: 'multi', domains, acme_directory_url: 'production' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ cert_name: 'multi', domains, status: 'pending' });
    expect((await a.api<Certificate>('GET', '/api/v1/certificates/multi/status?wait=60')).body.status).toBe('active');
    const cert = await show(a, 'multi');
    expect(new X509Certificate(cert.certificate_pem ?? '').subjectAltName).toBe(
      'DNS:m1.example.test, DNS:m2.example.test, DNS:m3.example.test',
    );
    for (const domain of domains) {
      const served = await waitFor(
        `the SNI provider to serve the issued certificate for ${domain}`,
        () => serve(domain),
        (s) => s.fingerprint === cert.fingerprint,
        ISSUANCE,
      );
      expect({ domain, authorized: served.authorized, fingerprint: served.fingerprint }).toEqual({
        domain,
        authorized: true,
        fingerprint: cert.fingerprint,
      });
    }
    const list = await a.api<Certificate[]>('GET', '/api/v1/certificates');
    // AUTO_CERTIFICATES also orders the auth hostname's system certificate (test/security/system-certificates.e2e-spec.ts).
    expect(list.body.filter((c) => !c.system).map((c) => [c.cert_name, c.status])).toEqual([
      ['multi', 'active'],
      ['proxy-single-example-test', 'active'],
    ]);
    expect(list.text).not.toContain('BEGIN');
  });

  it('stores private keys only sealed: no Redis value holds a PEM private key, the admin can still read it', async () => {
    const keys = await scanKeys(redis, `{${a.keyPrefix}}:*`);
    expect(keys.filter((k) => k.includes(':acme-account:'))).toHaveLength(1);
    let strings = 0;
    for (const key of keys) {
      if ((await redis.type(key)) !== 'string') continue;
      strings++;
      const value = (await redis.get(key)) ?? '';
      expect({ key, clear: /PRIVATE KEY/.test(value) }).toEqual({ key, clear: false });
    }
    expect(strings).toBeGreaterThanOrEqual(3);
    const record = JSON.parse((await redis.get(`{${a.keyPrefix}}:certificate:multi`)) ?? '{}') as {
      private_key_sealed?: string;
    };
    expect(record.private_key_sealed).toMatch(/^v1\./);

    const withKey = (await a.api<Certificate>('GET', '/api/v1/certificates/multi?include_private_key=true')).body;
    expect(withKey.private_key_pem).toMatch(/^-----BEGIN (EC )?PRIVATE KEY-----/);
    const certKey = new X509Certificate(withKey.certificate_pem ?? '').publicKey.export({
      type: 'spki',
      format: 'der',
    });
    expect(
      createPublicKey(withKey.private_key_pem ?? '')
        .export({ type: 'spki', format: 'der' })
        .equals(certKey),
    ).toBe(true);
  });

  it('orders with an account key the CA already knows whose URL was never stored (no e-mail)', async () => {
    // A replica without ADMIN_EMAIL: its account has no contact. Pebble refuses an account update
    // with nothing in it ("Use POST-as-GET..."), which acme-client sends when newAccount answers 200.
    const c = await ServerProcess.start({
      env: { ...pebble.serverEnv, AUTO_CERTIFICATES: 'true' },
      keyPrefix: a.keyPrefix,
    });
    try {
      const order = async (name: string) => {
        expect((await c.api('POST', '/api/v1/certificates', { body: { domain: `${name}.example.test` } })).status).toBe(
          201,
        );
        return (await c.api<Certificate>('GET', `/api/v1/certificates/proxy-${name}-example-test/status?wait=60`)).body;
      };
      expect(await order('noemail1')).toMatchObject({ status: 'active', error: null });
      // As while another replica's first order is still running: the CA knows the key, Redis has no URL.
      for (const key of await scanKeys(redis, `{${a.keyPrefix}}:acme-account:*`)) {
        const record = JSON.parse((await redis.get(key)) ?? '{}') as Record<string, unknown>;
        if (record.email !== '' && record.email !== undefined) continue;
        delete record.account_url;
        await redis.set(key, JSON.stringify(record));
      }
      expect(await order('noemail2')).toMatchObject({ status: 'active', error: null });
    } finally {
      await c.stop();
    }
  });

  it('orders a certificate for a new HTTPS proxy target; the HTTPS listeners of both replicas then serve it by SNI', async () => {
    const backend = createHttpServer((_req, res) => res.end('hello through https'));
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    try {
      const created = await b.api<{
        proxy_target: { cert_name: string | null };
        certificate_status: string;
        cert_name: string;
      }>('POST', '/api/v1/proxy/targets', {
        body: {
          hostname: 'auto.example.test',
          target_url: `http://127.0.0.1:${(backend.address() as AddressInfo).port}`,
        },
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        cert_name: 'proxy-auto-example-test',
        certificate_status: 'pending',
        proxy_target: { cert_name: 'proxy-auto-example-test' },
      });
      const status = await a.api<Certificate>('GET', '/api/v1/certificates/proxy-auto-example-test/status?wait=60');
      expect(status.body).toMatchObject({ status: 'active' });

      // Each replica's real HTTPS listener: the Pebble-issued chain verifies against Pebble's root.
      const fetchHttps = (server: ServerProcess) =>
        new Promise<{ authorized: boolean; body: string; issuer: string }>((resolve, reject) => {
          const req = httpsRequest(
            {
              host: '127.0.0.1',
              port: server.httpsPort,
              servername: 'auto.example.test',
              headers: { host: 'auto.example.test' },
              ca: root,
              path: '/',
              agent: false,
            },
            (res) => {
              let body = '';
              res.on('data', (d: Buffer) => (body += d.toString()));
              res.on('end', () =>
                resolve({
                  authorized: (res.socket as import('node:tls').TLSSocket).authorized,
                  body,
                  issuer: String((res.socket as import('node:tls').TLSSocket).getPeerCertificate().issuer?.CN ?? ''),
                }),
              );
            },
          );
          req.once('error', reject);
          req.end();
        });
      for (const server of [a, b]) {
        // Until the SNI cache reloads the listener serves the self-signed fallback, which fails verification.
        const served = await waitFor(
          `replica ${server === a ? 'A' : 'B'} to serve a chain that verifies against Pebble's root`,
          () => fetchHttps(server),
          () => true,
          { timeoutMs: 10_000, intervalMs: 100 },
        );
        expect(served).toEqual({
          authorized: true,
          body: 'hello through https',
          issuer: expect.stringMatching(/Pebble/),
        });
      }

      const deleted = await a.api('DELETE', '/api/v1/proxy/targets/auto.example.test?delete_certificate=true');
      expect(deleted).toMatchObject({
        status: 200,
        body: { hostname: 'auto.example.test', deleted: true, certificate_deleted: true },
      });
      expect((await a.api('GET', '/api/v1/certificates/proxy-auto-example-test')).status).toBe(404);
    } finally {
      backend.close();
    }
  });

  it('renews a certificate the scheduler finds due, and the SNI cache serves the new one', async () => {
    const before = await show(a, 'proxy-single-example-test');
    // Make every certificate "due": restart replica B with a threshold beyond Pebble's validity.
    await b.stop();
    b.env.RENEWAL_THRESHOLD_DAYS = '100000';
    await b.launch();
    const renewed = await waitFor(
      'the renewed certificate (active, new fingerprint)',
      () => show(a, 'proxy-single-example-test'),
      (c) => c.status === 'active' && c.fingerprint !== before.fingerprint,
      ISSUANCE,
    );
    await b.stop(); // stop renewing everything every second
    // B may have marked it renewing (and published the order) once more before it stopped: A then
    // runs that order. Wait for it to settle so the next test starts from a quiet certificate.
    const after = await waitFor(
      'the certificate to leave status renewing',
      () => show(a, 'proxy-single-example-test'),
      (c) => c.status !== 'renewing',
      ISSUANCE,
    );
    expect(renewed.fingerprint).not.toBe(before.fingerprint);
    expect(after).toMatchObject({ status: 'active', error: null, renewal_failures: 0 });
    const served = await waitFor(
      'the SNI cache to serve the renewed certificate',
      () => serve('single.example.test'),
      (s) => s.fingerprint === after.fingerprint,
      ISSUANCE,
    );
    expect(served).toMatchObject({ authorized: true, fingerprint: after.fingerprint });
  });

  it('keeps serving the old certificate and records the error when a renewal fails', async () => {
    // Pebble validates on replica A's port: with A down, every challenge is unreachable.
    const original = await show(a, 'proxy-single-example-test');
    await a.stop();
    await b.launch(); // still with the huge renewal threshold: everything is due
    const failed = await waitFor(
      'a failed renewal to be recorded',
      () => show(b, 'proxy-single-example-test'),
      (c) => c.renewal_failures > 0,
      ISSUANCE,
    );
    await b.stop();
    expect(failed).toMatchObject({ status: 'active', fingerprint: original.fingerprint, renewal_failures: 1 });
    expect(failed.error).toMatch(/single\.example\.test/);
    expect(failed.error).toMatch(/connection refused|connect/i);
    expect(Date.parse(failed.next_renewal_attempt_at ?? '')).toBeGreaterThan(Date.parse(failed.error_at ?? ''));
    const served = await serve('single.example.test');
    expect(served).toMatchObject({ authorized: true, fingerprint: original.fingerprint });
  });
});
