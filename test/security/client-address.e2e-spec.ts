import { GithubStandin } from '../support/github-standin';
import { publicRequest } from '../support/loopback';
import { RawConnection } from '../support/raw-connection';
import type { ServerProcess } from '../support/server-process';
import { AUTH_HOST, startProtectedServer } from '../protection/protection-fixture';
import { waitFor } from '../support/wait';

interface Row {
  request_id: string;
  client_ip: string;
  listener: string;
  status: number;
}

/**
 * Issue 16, class 7: behind a trusted PROXY-protocol peer (here: loopback, the default trusted CIDR),
 * the client address is the PROXY header's source. Client registration is rate-limited per that
 * address, not per balancer, and the request log records it.
 */
describe('security: the trusted client address behind a PROXY-protocol peer', () => {
  let github: GithubStandin;
  let server: ServerProcess & { issuer: string };

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startProtectedServer(github, { OAUTH_REGISTRATION_RATE_LIMIT: '2' });
  });
  afterAll(async () => {
    await server?.stop();
    await github?.stop();
  });

  /** POST /register over the PROXY-protocol listener, announcing `source` as the client; the status. */
  async function registerAs(source: string, requestId: string): Promise<number> {
    const body = JSON.stringify({
      client_name: 'rate',
      redirect_uris: ['http://127.0.0.1:43211/callback'],
      token_endpoint_auth_method: 'none',
    });
    const conn = await RawConnection.open(server.proxyProtocolPort);
    const proxyLine = source.includes(':')
      ? `PROXY TCP6 ${source} ::1 40000 80`
      : `PROXY TCP4 ${source} 10.0.0.1 40000 80`;
    conn.write(
      `${proxyLine}\r\nPOST /register HTTP/1.1\r\nHost: ${AUTH_HOST}:${server.httpPort}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(await conn.closedWithin(10_000)).toBe(true);
    const status = /^HTTP\/1\.1 (\d{3}) /.exec(conn.received);
    if (!status) throw new Error(`no answer: ${JSON.stringify(conn.received)}`);
    return Number(status[1]);
  }

  it('rate-limits registrations per PROXY source address, not per balancer', async () => {
    // Limit 2 a minute: the third from one address is refused...
    expect(await registerAs('203.0.113.10', 'reg-a-1')).toBe(201);
    expect(await registerAs('203.0.113.10', 'reg-a-2')).toBe(201);
    expect(await registerAs('203.0.113.10', 'reg-a-3')).toBe(429);
    // ...while another client behind the same balancer still registers.
    expect(await registerAs('198.51.100.20', 'reg-b-1')).toBe(201);
  });

  // Found by the issue 19 attack: one IPv6 host can use any address of its /64, so counting each
  // address let it register without bound (and so escape per-client rate limits with new client ids).
  it('counts registrations from IPv6 clients by their /64, and one address under any spelling once', async () => {
    expect(await registerAs('2001:db8:5:6::1', 'reg-v6-1')).toBe(201);
    expect(await registerAs('2001:db8:5:6::2', 'reg-v6-2')).toBe(201);
    expect(await registerAs('2001:db8:5:6:aaaa:bbbb:cccc:dddd', 'reg-v6-3')).toBe(429);
    expect(await registerAs('2001:db8:5:7::1', 'reg-v6-4')).toBe(201);
    expect(await registerAs('198.51.100.77', 'reg-mapped-1')).toBe(201);
    expect(await registerAs('::ffff:198.51.100.77', 'reg-mapped-2')).toBe(201);
    expect(await registerAs('::FFFF:C633:644D', 'reg-mapped-3')).toBe(429);
  });

  it('records the PROXY source, not the peer, in the request log', async () => {
    expect(await registerAs('192.0.2.33', 'reg-log-1')).toBe(201);
    // The writer flushes every 100 ms: wait for the row.
    const rows = await waitFor(
      'the request-log row of reg-log-1',
      async () => {
        const page = await server.api<{ entries: Row[] }>('GET', '/api/v1/logs?ip=192.0.2.33');
        return page.status === 200 ? page.body.entries : [];
      },
      (found) => found.some((r) => r.request_id === 'reg-log-1'),
    );
    expect(rows.find((r) => r.request_id === 'reg-log-1')).toMatchObject({
      client_ip: '192.0.2.33',
      listener: 'proxy-protocol',
      status: 201,
    });
  });
});

/**
 * The same behind an HTTP load balancer (FORWARDED_TRUSTED_CIDRS, issue 21 item 2): the OAuth
 * endpoints run in the Nest app, which must count the client the trusted balancer named, and only
 * a trusted balancer's word counts.
 */
describe('security: the trusted client address behind an HTTP load balancer', () => {
  const BALANCER = '127.0.0.1';
  const STRANGER = '127.0.0.2';
  let github: GithubStandin;
  let server: ServerProcess & { issuer: string };

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startProtectedServer(github, {
      OAUTH_REGISTRATION_RATE_LIMIT: '2',
      FORWARDED_TRUSTED_CIDRS: `${BALANCER}/32`,
    });
  });
  afterAll(async () => {
    await server?.stop();
    await github?.stop();
  });

  /** POST /register on the HTTP listener from `from`, with `X-Forwarded-For: forwardedFor`; the status. */
  async function register(from: string, forwardedFor: string): Promise<number> {
    const body = JSON.stringify({
      client_name: 'rate',
      redirect_uris: ['http://127.0.0.1:43211/callback'],
      token_endpoint_auth_method: 'none',
    });
    const res = await publicRequest({
      port: server.httpPort,
      host: `${AUTH_HOST}:${server.httpPort}`,
      path: '/register',
      method: 'POST',
      body,
      localAddress: from,
      headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
    });
    return res.status;
  }

  it('rate-limits registrations per forwarded client of a trusted balancer, and per peer otherwise', async () => {
    expect(await register(BALANCER, '203.0.113.50')).toBe(201);
    expect(await register(BALANCER, '203.0.113.50')).toBe(201);
    expect(await register(BALANCER, '203.0.113.50')).toBe(429);
    // Another client behind the same balancer still registers.
    expect(await register(BALANCER, '203.0.113.51')).toBe(201);
    // An untrusted peer's X-Forwarded-For is not believed: every spoofed value counts as that peer.
    expect(await register(STRANGER, '198.51.100.1')).toBe(201);
    expect(await register(STRANGER, '198.51.100.2')).toBe(201);
    expect(await register(STRANGER, '198.51.100.3')).toBe(429);
  });
});
