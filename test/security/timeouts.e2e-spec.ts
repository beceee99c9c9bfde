import { GithubStandin } from '../support/github-standin';
import { Backend, echoBackend } from '../support/loopback';
import { RawConnection } from '../support/raw-connection';
import type { ServerProcess } from '../support/server-process';
import { obtainToken, protectTarget, startProtectedServer } from '../protection/protection-fixture';

const HEADERS_TIMEOUT_S = 2;
const KEEPALIVE_S = 1;
const BODY_DEADLINE_S = 5;
const DRAIN_CAP = 64 * 1024;
/** Generous upper bound on top of a deadline: only a connection that is never cut fails it. */
const SLACK_MS = 8_000;
const PROTECTED = 'timeouts.example.test';

/**
 * Issue 16, class 6: the public listeners' deadlines hold (header timeout not reset per byte, idle
 * keep-alive, silent connections), an early 401 closes after a bounded drain of the body, and
 * `100 Continue` is sent only once the request is going to be forwarded.
 */
describe('security: timeouts on the public listeners', () => {
  let github: GithubStandin;
  let server: ServerProcess & { issuer: string };
  let backend: Backend;
  let token = '';
  const open = () => RawConnection.open(server.httpPort);
  const host = () => `${PROTECTED}:${server.httpPort}`;

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startProtectedServer(github, {
      PUBLIC_HEADERS_TIMEOUT_SECONDS: String(HEADERS_TIMEOUT_S),
      PUBLIC_KEEPALIVE_TIMEOUT_SECONDS: String(KEEPALIVE_S),
      UNAUTHENTICATED_BODY_DEADLINE_SECONDS: String(BODY_DEADLINE_S),
      EARLY_RESPONSE_DRAIN_BYTES: String(DRAIN_CAP),
      API_BODY_LIMIT: '4096',
    });
    backend = await echoBackend('timeouts');
    await protectTarget(
      server,
      PROTECTED,
      backend.url,
      { mode: 'forward', required_users: ['alice'] },
      { endpoint: '/mcp' },
    );
    token = (await obtainToken(server.issuer, github, 'alice', `http://${PROTECTED}:${server.httpPort}/mcp`))
      .access_token;
  });
  afterAll(async () => {
    await backend?.close();
    await server?.stop();
    await github?.stop();
  });

  /** A connection to each public listener, ready for HTTP bytes (PROXY header sent, TLS handshake done). */
  const listeners: [string, () => Promise<RawConnection>][] = [
    ['http', () => open()],
    ['https', () => RawConnection.openTls(server.httpsPort, PROTECTED)],
    [
      'proxy-protocol',
      async () => {
        const conn = await RawConnection.open(server.proxyProtocolPort);
        conn.write('PROXY TCP4 203.0.113.7 10.0.0.1 40000 80\r\n');
        return conn;
      },
    ],
  ];

  it.each(listeners)('closes a connection that never sends a request (%s listener)', async (_name, connect) => {
    const conn = await connect();
    expect(await conn.closedWithin(HEADERS_TIMEOUT_S * 1000 + SLACK_MS)).toBe(true);
  });

  it.each(listeners)(
    'cuts a slowloris head at the header deadline, although a byte arrives every 300 ms (%s listener)',
    async (_name, connect) => {
      const conn = await connect();
      conn.write(`GET /mcp HTTP/1.1\r\nHost: ${host()}\r\n`);
      const header = 'X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
      // One byte every 300 ms, at most for the whole bound: the head never completes.
      const bytes = Math.ceil((HEADERS_TIMEOUT_S * 1000 + SLACK_MS) / 300);
      const trickle = setInterval(() => conn.write(header[conn.bytesWritten % header.length]), 300);
      try {
        expect(await conn.closedWithin(HEADERS_TIMEOUT_S * 1000 + SLACK_MS)).toBe(true);
      } finally {
        clearInterval(trickle);
        conn.close();
      }
      expect(conn.bytesWritten).toBeLessThan(bytes + 200);
      expect(conn.received).toMatch(/^(HTTP\/1\.1 408 |$)/);
    },
  );

  it('closes an idle keep-alive connection after its answer', async () => {
    const conn = await open();
    conn.write(`GET /mcp HTTP/1.1\r\nHost: ${host()}\r\n\r\n`);
    expect(await conn.until((c) => /\r\n\r\n/.test(c.received), 5_000)).toBe(true);
    expect(conn.received).toMatch(/^HTTP\/1\.1 401 /);
    expect(conn.received).not.toMatch(/\r\nconnection: close\r\n/i); // a body-less request keeps its connection
    expect(await conn.closedWithin(KEEPALIVE_S * 1000 + SLACK_MS)).toBe(true);
  });

  it('answers a body without a token with 401, Connection: close, drains at most a bounded amount and closes', async () => {
    const total = 64 * 1024 * 1024;
    const conn = await open();
    conn.write(
      `POST /mcp HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${total}\r\n\r\n`,
    );
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    // Sends the body as fast as the server reads it, until the server closes or the body is all sent.
    for (let sent = 0; sent < total && !conn.closed; sent += chunk.length) {
      if (!conn.write(chunk)) await conn.drained();
    }
    expect(await conn.closedWithin(BODY_DEADLINE_S * 1000 + SLACK_MS)).toBe(true);
    expect(conn.received).toMatch(/^HTTP\/1\.1 401 /);
    expect(conn.received).toMatch(/\r\nconnection: close\r\n/i);
    // The cap (64 KiB) plus what kernel buffers hold: far below the 64 MiB announced.
    expect(conn.bytesWritten).toBeLessThan(16 * 1024 * 1024);
  });

  it('Expect: 100-continue without a token gets the 401 and no 100 first', async () => {
    const conn = await open();
    conn.write(
      `POST /mcp HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n`,
    );
    expect(await conn.until((c) => /\r\n\r\n/.test(c.received), 5_000)).toBe(true);
    expect(conn.received).toMatch(/^HTTP\/1\.1 401 /);
    expect(conn.received).not.toMatch(/HTTP\/1\.1 100/);
    expect(await conn.closedWithin(BODY_DEADLINE_S * 1000 + SLACK_MS)).toBe(true);
  });

  it('Expect: 100-continue with a valid token gets 100, then the backend answer to the body', async () => {
    const conn = await open();
    conn.write(
      `POST /mcp HTTP/1.1\r\nHost: ${host()}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n`,
    );
    expect(await conn.until((c) => /\r\n\r\n/.test(c.received), 5_000)).toBe(true);
    expect(conn.received).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\n$/);
    conn.write('{}');
    expect(
      await conn.until(
        (c) => /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 [^]*\r\n\r\n[^]*"method":"POST"/.test(c.received),
        10_000,
      ),
    ).toBe(true);
    conn.close();
  });

  it('413 of the admin API: the server half-closes but still reads the body, so the client is never reset (issue 21)', async () => {
    const body = 32 * 1024; // over API_BODY_LIMIT (4 KiB), under the drain cap
    const conn = await RawConnection.open(server.apiPort, { allowHalfOpen: true });
    conn.write(
      `POST /api/v1/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${server.adminToken}\r\nContent-Type: application/json\r\nContent-Length: ${body}\r\n\r\n`,
    );
    // The answer comes before the body, with the server's FIN after it...
    expect(await conn.until((c) => c.ended, 5_000)).toBe(true);
    expect(conn.received).toMatch(/^HTTP\/1\.1 413 /);
    expect(conn.received).toMatch(/\r\nconnection: close\r\n/i);
    // ...and the body sent after that is still read: no reset (the old server closed at once: EPIPE/ECONNRESET).
    for (let sent = 0; sent < body && !conn.closed; sent += 4096) {
      if (!conn.write(Buffer.alloc(4096, 0x61))) await conn.drained();
    }
    conn.end();
    expect(await conn.closedWithin(BODY_DEADLINE_S * 1000 + SLACK_MS)).toBe(true);
    expect(conn.error).toBeUndefined();
  });
});
