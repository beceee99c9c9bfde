import { echoBackend, publicRequest, type Backend, type Echo } from '../support/loopback';
import { waitFor } from '../support/wait';
import { ServerProcess } from '../support/server-process';

const OPEN = 'open.fwd.test';
const REDIRECTING = 'redirect.fwd.test';
/** 127.0.0.1 is the trusted balancer; 127.0.0.2 (loopback /8 on Linux) an untrusted client connecting directly. */
const TRUSTED_PEER = '127.0.0.1';
const UNTRUSTED_PEER = '127.0.0.2';

interface LogRow {
  request_id: string;
  client_ip: string;
}

/** The request-log row of one request id (the writer flushes in the background: waits for it, bounded). */
async function logged(server: ServerProcess, hostname: string, requestId: string): Promise<LogRow | undefined> {
  return waitFor(
    `the request-log row of ${requestId}`,
    async () =>
      (
        await server.api<{ entries: LogRow[] }>('GET', `/api/v1/logs?hostname=${hostname}&limit=500`)
      ).body.entries?.find((r) => r.request_id === requestId),
    (row) => row !== undefined,
  );
}

async function startWithTargets(env: Record<string, string>, backend: Backend): Promise<ServerProcess> {
  const server = await ServerProcess.start({ env });
  for (const body of [
    { hostname: OPEN, target_url: backend.url },
    { hostname: REDIRECTING, target_url: backend.url, redirect_http_to_https: true },
  ]) {
    const created = await server.api('POST', '/api/v1/proxy/targets', { body });
    if (created.status !== 201) throw new Error(`target ${body.hostname}: ${created.status} ${created.text}`);
  }
  return server;
}

/**
 * Forwarded headers from trusted peers (issue 21 item 2; issue 16 classes 5 and 7): behind an HTTP
 * load balancer in FORWARDED_TRUSTED_CIDRS the client address and scheme come from its headers
 * (right-most untrusted address; http/https only); from anyone else they are stripped in every
 * spelling and the proxy sets its own, as before.
 */
describe('forwarded headers from trusted peers', () => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await echoBackend();
  });
  afterAll(async () => {
    await backend?.close();
  });

  describe('X-Forwarded-For / X-Forwarded-Proto (FORWARDED_HEADERS=x-forwarded, the default)', () => {
    let server: ServerProcess;
    beforeAll(async () => {
      server = await startWithTargets({ FORWARDED_TRUSTED_CIDRS: `${TRUSTED_PEER}/32,10.0.0.0/8` }, backend);
    });
    afterAll(async () => {
      await server?.stop();
    });

    const send = (localAddress: string, host: string, headers: Record<string, string>, path = '/x') =>
      publicRequest({ port: server.httpPort, host, path, headers, localAddress });

    it('takes the client address and scheme from a trusted peer: backend and request log see them', async () => {
      const res = await send(TRUSTED_PEER, OPEN, {
        'x-forwarded-for': '203.0.113.9',
        'x-forwarded-proto': 'https',
        'x-request-id': 'fwd-trusted-1',
      });
      expect(res.status).toBe(200);
      const seen = res.json<Echo>().headers;
      expect({ xff: seen['x-forwarded-for'], realIp: seen['x-real-ip'], proto: seen['x-forwarded-proto'] }).toEqual({
        xff: `203.0.113.9, ${TRUSTED_PEER}`,
        realIp: '203.0.113.9',
        proto: 'https',
      });
      expect((await logged(server, OPEN, 'fwd-trusted-1'))?.client_ip).toBe('203.0.113.9');
    });

    it('picks the right-most untrusted address of a chain `spoofed, real, trusted proxy`', async () => {
      const res = await send(TRUSTED_PEER, OPEN, {
        'x-forwarded-for': '198.51.100.66, 203.0.113.9, 10.1.2.3',
        'x-request-id': 'fwd-chain-1',
      });
      const seen = res.json<Echo>().headers;
      // The spoofed entry left of the client is dropped: backends reading the first entry get the client.
      expect({ xff: seen['x-forwarded-for'], realIp: seen['x-real-ip'], proto: seen['x-forwarded-proto'] }).toEqual({
        xff: `203.0.113.9, 10.1.2.3, ${TRUSTED_PEER}`,
        realIp: '203.0.113.9',
        proto: 'http',
      });
      expect((await logged(server, OPEN, 'fwd-chain-1'))?.client_ip).toBe('203.0.113.9');
    });

    it('does not redirect a request that reached the balancer over https; redirects one that came over http', async () => {
      const overHttps = await send(
        TRUSTED_PEER,
        REDIRECTING,
        { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' },
        '/page?q=1',
      );
      expect(overHttps.status).toBe(200);
      expect(overHttps.json<Echo>().headers['x-forwarded-proto']).toBe('https');
      const overHttp = await send(
        TRUSTED_PEER,
        REDIRECTING,
        { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'http' },
        '/page?q=1',
      );
      expect([overHttp.status, overHttp.headers.location]).toEqual([
        301,
        `https://${REDIRECTING}:${server.httpsPort}/page?q=1`,
      ]);
    });

    it('strips every spelling from an untrusted peer, sets its own and still redirects', async () => {
      const spoofed = {
        'x-forwarded-for': '203.0.113.9',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'evil.test',
        forwarded: 'for=203.0.113.9;proto=https',
        x_forwarded_for: '203.0.113.10',
        X_Forwarded_Proto: 'https',
        'x-real_ip': '203.0.113.11',
        'x-request-id': 'fwd-untrusted-1',
      };
      const res = await send(UNTRUSTED_PEER, OPEN, spoofed);
      const seen = res.json<Echo>().headers;
      expect({
        xff: seen['x-forwarded-for'],
        realIp: seen['x-real-ip'],
        proto: seen['x-forwarded-proto'],
        host: seen['x-forwarded-host'],
      }).toEqual({ xff: UNTRUSTED_PEER, realIp: UNTRUSTED_PEER, proto: 'http', host: OPEN });
      expect(Object.keys(seen).filter((name) => name.includes('_') || name === 'forwarded')).toEqual([]);
      expect((await logged(server, OPEN, 'fwd-untrusted-1'))?.client_ip).toBe(UNTRUSTED_PEER);
      const redirected = await send(UNTRUSTED_PEER, REDIRECTING, spoofed, '/page');
      expect([redirected.status, redirected.headers.location]).toEqual([
        301,
        `https://${REDIRECTING}:${server.httpsPort}/page`,
      ]);
    });

    it('ignores malformed values from a trusted peer (the connection decides) and never passes `_` spellings', async () => {
      for (const xff of [
        '203.0.113.9, not-an-ip',
        '203.0.113.9:4711',
        '',
        ' , ',
        '203.0.113.9,,10.1.2.3',
        '999.1.1.1',
      ]) {
        const res = await send(TRUSTED_PEER, OPEN, { 'x-forwarded-for': xff, 'x-forwarded-proto': 'https' });
        const seen = res.json<Echo>().headers;
        expect({ xff, seen: seen['x-forwarded-for'], realIp: seen['x-real-ip'] }).toEqual({
          xff,
          seen: TRUSTED_PEER,
          realIp: TRUSTED_PEER,
        });
      }
      for (const proto of ['ftp', 'https, http', 'https;', 'wss', '']) {
        const res = await send(
          TRUSTED_PEER,
          REDIRECTING,
          { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': proto },
          '/p',
        );
        expect({ proto, status: res.status }).toEqual({ proto, status: 301 });
      }
      // Only the canonical spelling is read: an `_` spelling from a trusted peer is dropped, not trusted.
      const respelled = await send(
        TRUSTED_PEER,
        REDIRECTING,
        { x_forwarded_for: '203.0.113.9', x_forwarded_proto: 'https' },
        '/p',
      );
      expect(respelled.status).toBe(301);
    });
  });

  describe('RFC 7239 Forwarded (FORWARDED_HEADERS=forwarded)', () => {
    let server: ServerProcess;
    beforeAll(async () => {
      server = await startWithTargets(
        { FORWARDED_TRUSTED_CIDRS: `${TRUSTED_PEER}/32,10.0.0.0/8`, FORWARDED_HEADERS: 'forwarded' },
        backend,
      );
    });
    afterAll(async () => {
      await server?.stop();
    });

    const send = (localAddress: string, host: string, headers: Record<string, string>, path = '/x') =>
      publicRequest({ port: server.httpPort, host, path, headers, localAddress });

    it('takes for= and proto= of the right-most untrusted hop; X-Forwarded-* is not read', async () => {
      const res = await send(TRUSTED_PEER, REDIRECTING, {
        forwarded:
          'for=198.51.100.66;proto=http, for="[2001:db8::1]:4711";proto=https;by=10.1.2.3, For=10.1.2.3;Proto=https',
        'x-forwarded-for': '192.0.2.1',
        'x-forwarded-proto': 'http',
        'x-request-id': 'fwd-rfc7239-1',
      });
      expect(res.status).toBe(200);
      const seen = res.json<Echo>().headers;
      expect({
        xff: seen['x-forwarded-for'],
        realIp: seen['x-real-ip'],
        proto: seen['x-forwarded-proto'],
        forwarded: seen.forwarded,
      }).toEqual({
        xff: `2001:db8::1, 10.1.2.3, ${TRUSTED_PEER}`,
        realIp: '2001:db8::1',
        proto: 'https',
        forwarded: undefined,
      });
      expect((await logged(server, REDIRECTING, 'fwd-rfc7239-1'))?.client_ip).toBe('2001:db8::1');
    });

    it('ignores a malformed Forwarded header, and strips it from untrusted peers', async () => {
      for (const forwarded of [
        'for=203.0.113.9;proto=https;for=1.2.3.4',
        'for=[2001:db8::1];proto=https',
        'for=unknown;proto=https',
        'for="203.0.113.9;proto=https',
        'proto=https',
      ]) {
        const res = await send(TRUSTED_PEER, REDIRECTING, { forwarded }, '/p');
        expect({ forwarded, status: res.status }).toEqual({ forwarded, status: 301 });
      }
      const untrusted = await send(UNTRUSTED_PEER, REDIRECTING, { forwarded: 'for=203.0.113.9;proto=https' }, '/p');
      expect(untrusted.status).toBe(301);
    });
  });
});
