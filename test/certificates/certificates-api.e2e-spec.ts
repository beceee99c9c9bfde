import { AddressInfo, createServer, Server } from 'node:net';
import { ServerProcess } from '../support/server-process';
import { testRedisClient, TestRedisClient } from '../support/test-redis';

interface Certificate {
  cert_name: string;
  domains: string[];
  owner: string;
  email: string | null;
  status: string;
  error: string | null;
  private_key_pem?: string | null;
}
interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

jest.setTimeout(90_000);

/**
 * The certificates API without a reachable CA: validation, ownership, the order lock, the HTTP-01
 * answer route, and an unreachable ACME directory ending in `failed`. The directory's port is held by
 * a listener that resets every connection: a port merely closed a moment ago could be taken by a
 * parallel suite's server before the order runs (CI once saw a TLS reset instead of a refusal).
 */
describe('certificates API', () => {
  let server: ServerProcess;
  let redis: TestRedisClient;
  let directory: string;
  let resetter: Server;
  let userToken: string;

  const post = <T = Certificate>(path: string, body: unknown, token?: string) =>
    server.api<T>('POST', `/api/v1/certificates${path}`, { body, token });
  const expectError = (res: { status: number; body: unknown }, status: number, message: RegExp) => {
    expect(res.status).toBe(status);
    expect((res.body as ErrorBody).message).toMatch(message);
  };

  beforeAll(async () => {
    resetter = createServer((socket) => socket.resetAndDestroy());
    await new Promise<void>((resolve) => resetter.listen(0, '127.0.0.1', resolve));
    directory = `https://127.0.0.1:${(resetter.address() as AddressInfo).port}/directory`;
    server = await ServerProcess.start({
      env: { ACME_DIRECTORY_URL: directory, ADMIN_EMAIL: 'admin@example.org', RENEWAL_CHECK_SECONDS: '3600' },
    });
    redis = testRedisClient();
    const token = await server.api<{ token: string }>('POST', '/api/v1/tokens', {
      body: { name: 'cert-user', cert_email: 'user@example.org' },
    });
    userToken = token.body.token;
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
    resetter?.close();
  });

  describe('bad input says what to fix', () => {
    it.each([
      [{ domain: 'not a domain' }, /domain "not a domain" is not a valid DNS name/],
      [{ domain: '*.example.org' }, /wildcard: HTTP-01 validates exact names only/],
      [{ domain: '192.0.2.1' }, /IP address/],
      [{}, /domain must be a hostname/],
      [{ domain: 'a.example.org', colour: 'red' }, /property colour should not exist/],
      [{ domain: 'a.example.org', email: 'nope' }, /email must be an e-mail address/],
      [{ domain: 'a.example.org', cert_name: 'Bad Name!' }, /cert_name "Bad Name!" is not valid/],
      [
        { domain: 'a.example.org', acme_directory_url: 'letsencrypt' },
        /acme_directory_url "letsencrypt" is not supported: use "production", "staging" or the https:\/\/ URL/,
      ],
      [
        { domain: 'a.example.org', acme_directory_url: 'http://ca.example.org/dir' },
        /uses http: ACME directories are served over https/,
      ],
    ])('single-domain %j → 400', async (body, message) => {
      expectError(await post('', body), 400, message);
    });

    it.each([
      [
        {
          cert_name: 'many',
          domains: Array.from({ length: 101 }, (_, i) => `h${i}.example.org`),
          acme_directory_url: 'production',
        },
        /at most 100 hostnames/,
      ],
      [
        {
          cert_name: 'dup',
          domains: ['a.example.org', 'b.example.org', 'A.example.org'],
          acme_directory_url: 'production',
        },
        /domains lists "a.example.org" more than once: remove the duplicate/,
      ],
      [{ cert_name: 'none', domains: [], acme_directory_url: 'production' }, /at least one hostname/],
      [{ cert_name: 'nodir', domains: ['a.example.org'] }, /acme_directory_url is required/],
      [{ cert_name: 'ftp', domains: ['a.example.org'], acme_directory_url: 'ftp://ca.example.org/dir' }, /uses ftp/],
      [{ domains: ['a.example.org'], acme_directory_url: 'production' }, /cert_name is required/],
    ])('multi-domain %# → 400', async (body, message) => {
      expectError(await post('/multi-domain', body), 400, message);
    });

    it('refuses a name that is taken (409) and unknown certificates (404)', async () => {
      expect(
        (
          await post('/multi-domain', {
            cert_name: 'taken',
            domains: ['t.example.org'],
            acme_directory_url: 'production',
          })
        ).status,
      ).toBe(201);
      expectError(
        await post('', { domain: 'other.example.org', cert_name: 'taken' }),
        409,
        /a certificate named "taken" already exists/,
      );
      expectError(await server.api('GET', '/api/v1/certificates/missing'), 404, /certificate "missing" not found/);
      expectError(
        await server.api('GET', '/api/v1/certificates/taken/status?wait=500'),
        400,
        /wait must be at most 120 seconds/,
      );
    });
  });

  it('an unreachable ACME directory ends in failed with the reason, without holding the request', async () => {
    const created = await post('', { domain: 'down.example.org' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      cert_name: 'proxy-down-example-org',
      status: 'pending',
      email: 'admin@example.org',
      acme_directory_url: directory,
    });
    const status = await server.api<Certificate>('GET', '/api/v1/certificates/proxy-down-example-org/status?wait=60');
    expect(status.body).toMatchObject({ status: 'failed', order_running: false });
    expect(status.body.error).toMatch(
      new RegExp(`could not reach the ACME server at ${directory.replace(/[.]/g, '\\.')}: .*ECONNRESET`),
    );

    // A failed certificate can be retried with renew (no force needed); it fails the same way.
    const retry = await post('/proxy-down-example-org/renew', undefined);
    expect(retry.status).toBe(202);
    expect(retry.body.status).toBe('pending');
    expect(
      (await server.api<Certificate>('GET', '/api/v1/certificates/proxy-down-example-org/status?wait=60')).body.status,
    ).toBe('failed');
  });

  it('allows one order per certificate: a held lock (another replica ordering) makes renew answer 409', async () => {
    await server.api('GET', '/api/v1/certificates/proxy-down-example-org/status?wait=60');
    const lockKey = `{${server.keyPrefix}}:lock:certificate:proxy-down-example-org`;
    await redis.set(lockKey, 'another-replica', 'PX', 30_000);
    try {
      expectError(
        await post('/proxy-down-example-org/renew?force=true', undefined),
        409,
        /an order for certificate "proxy-down-example-org" is already running/,
      );
      expect(
        (await server.api<{ order_running: boolean }>('GET', '/api/v1/certificates/proxy-down-example-org/status')).body
          .order_running,
      ).toBe(true);
    } finally {
      await redis.del(lockKey);
    }
    expectError(
      await post('/proxy-down-example-org/convert-to-production', undefined),
      409,
      /is not from a staging directory/,
    );
  });

  it('scopes certificates to their token, uses its cert_email, hides private keys, and goes with the token', async () => {
    const mine = await post('', { domain: 'user.example.org' }, userToken);
    expect(mine.status).toBe(201);
    expect(mine.body).toMatchObject({ owner: 'cert-user', email: 'user@example.org' });
    expect(
      (await server.api<Certificate[]>('GET', '/api/v1/certificates', { token: userToken })).body.map(
        (c) => c.cert_name,
      ),
    ).toEqual(['proxy-user-example-org']);
    expectError(
      await server.api('GET', '/api/v1/certificates/proxy-down-example-org', { token: userToken }),
      403,
      /belongs to another token/,
    );
    expectError(
      await server.api('GET', '/api/v1/certificates/proxy-user-example-org?include_private_key=true', {
        token: userToken,
      }),
      403,
      /needs the admin token/,
    );
    expect((await server.api('GET', '/api/v1/certificates/proxy-user-example-org', { token: userToken })).status).toBe(
      200,
    );

    const tokenInfo = await server.api<{ owned: Record<string, number> }>('GET', '/api/v1/tokens/cert-user');
    expect(tokenInfo.body.owned.certificates).toBe(1);
    await server.api('GET', '/api/v1/certificates/proxy-user-example-org/status?wait=60');
    const deleted = await server.api<{ deleted: Record<string, number> }>('DELETE', '/api/v1/tokens/cert-user');
    expect(deleted.body.deleted).toMatchObject({ certificates: 1 });
    expect((await server.api('GET', '/api/v1/certificates/proxy-user-example-org')).status).toBe(404);
  });

  it('two racing creates of one name: exactly one wins, the other gets 409', async () => {
    const [first, second] = await Promise.all([
      post('', { domain: 'race.example.org' }),
      post('', { domain: 'race.example.org' }),
    ]);
    expect([first.status, second.status].sort()).toEqual([201, 409]);
    expect(await redis.scard(`{${server.keyPrefix}}:certificates`)).toBe(
      (await server.api<Certificate[]>('GET', '/api/v1/certificates')).body.length,
    );
    await server.api('GET', '/api/v1/certificates/proxy-race-example-org/status?wait=60');
  });

  it('deletes a certificate', async () => {
    expect((await server.api('DELETE', '/api/v1/certificates/taken')).body).toEqual({
      cert_name: 'taken',
      deleted: true,
    });
    expect((await server.api('GET', '/api/v1/certificates/taken')).status).toBe(404);
    expect(await redis.exists(`{${server.keyPrefix}}:certificate:taken`)).toBe(0);
  });

  it('answers HTTP-01 challenges from Redis without a token, 404 for unknown tokens', async () => {
    await redis.set(`{${server.keyPrefix}}:acme-challenge:tok_123-abc`, 'tok_123-abc.thumbprint', 'EX', 60);
    const res = await fetch(`${server.apiUrl}/.well-known/acme-challenge/tok_123-abc`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toBe('tok_123-abc.thumbprint');
    expect((await fetch(`${server.apiUrl}/.well-known/acme-challenge/unknown`)).status).toBe(404);
  });
});
