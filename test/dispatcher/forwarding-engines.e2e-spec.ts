import { createHash } from 'node:crypto';
import * as http from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Backend, publicRequest, type PublicRequestOptions } from '../support/loopback';
import { ServerProcess } from '../support/server-process';
import { TestCertificateAuthority } from '../support/test-ca';

const ENGINES = ['http1', 'undici', 'node'] as const;
const LARGE = 4 * 1024 * 1024;

/** A promise with its resolver: the backend waits for the test (and the other way round). */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/**
 * One behaviour, whichever engine FORWARDING_ENGINE names (ForwardingEngines: http1 hands HTTPS
 * backends and chunked bodies to undici; upgrades are node:http's, in streaming.e2e-spec.ts):
 * bodies both ways, event streams, large answers, header handling, upstream failures, and HTTPS
 * backends — a certificate from a CA the server trusts (NODE_EXTRA_CA_CERTS) is verified and
 * served, an untrusted one is a 502 that says why; SNI and the name verified are the target URL's
 * host, whatever Host the backend is sent. No engine may print a DeprecationWarning.
 */
describe('forwarding engines: one behaviour', () => {
  const ca = TestCertificateAuthority.create();
  const sseGates = new Map<string, ReturnType<typeof gate>>();
  const largeBody = Buffer.alloc(LARGE, 'L');
  let plain: Backend;
  let trusted: Backend;
  let selfSigned: Backend;
  let wrongName: Backend;
  let namedLocalhost: Backend;
  let namedAsPublic: Backend;
  let silent: Server;
  const silentSockets = new Set<Socket>();

  /** The backend: an echo of what it received, an event stream, a large answer, hop-by-hop headers. */
  const handler: http.RequestListener = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://backend');
    if (url.pathname.endsWith('/events')) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('data: one\n\n');
      void (sseGates.get(url.searchParams.get('id') ?? '')?.promise ?? Promise.resolve()).then(() =>
        res.end('data: two\n\n'),
      );
      return;
    }
    if (url.pathname.endsWith('/large')) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': LARGE });
      return void res.end(largeBody);
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      res.writeHead(200, {
        'content-type': 'application/json',
        connection: 'keep-alive, x-hop',
        'x-hop': 'must not reach the client',
        'x-backend': 'yes',
      });
      res.end(
        JSON.stringify({
          method: req.method,
          url: req.url,
          headers: req.headers,
          tls: 'encrypted' in req.socket,
          sni: (req.socket as TLSSocket).servername || null, // the TLS server name the proxy sent (none for an IP)
          length: body.length,
          digest: sha256(body),
          peer: req.socket.remotePort,
        }),
      );
    });
  };

  beforeAll(async () => {
    plain = await Backend.start(handler);
    trusted = await Backend.startTls(handler, ca.issue('IP:127.0.0.1'));
    selfSigned = await Backend.startTls(handler, ca.selfSigned('IP:127.0.0.1'));
    wrongName = await Backend.startTls(handler, ca.issue('DNS:another-backend.test'));
    namedLocalhost = await Backend.startTls(handler, ca.issue('DNS:localhost'));
    namedAsPublic = await Backend.startTls(handler, ca.issue('DNS:named-as-public.test'));
    // Accepts connections and never answers.
    silent = createServer((socket) => {
      silentSockets.add(socket);
      socket.on('close', () => silentSockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await Promise.all([plain, trusted, selfSigned, wrongName, namedLocalhost, namedAsPublic].map((b) => b?.close()));
    for (const socket of silentSockets) socket.destroy();
    await new Promise((resolve) => silent?.close(resolve));
    ca.remove();
  });

  describe.each(ENGINES)('FORWARDING_ENGINE=%s', (engine) => {
    let server: ServerProcess;

    beforeAll(async () => {
      server = await ServerProcess.start({ env: { FORWARDING_ENGINE: engine, NODE_EXTRA_CA_CERTS: ca.caFile } });
      const targets: Record<string, unknown>[] = [
        { hostname: 'plain.test', target_url: `${plain.url}/base/`, custom_response_headers: { 'x-target': 't' } },
        // The backend's own Host (preserve_host_header: false); the public Host follows below.
        { hostname: 'trusted.test', target_url: trusted.url, preserve_host_header: false },
        { hostname: 'self-signed.test', target_url: selfSigned.url, preserve_host_header: false },
        { hostname: 'wrong-name.test', target_url: wrongName.url, preserve_host_header: false },
        // preserve_host_header (the default): the backend gets the public Host, TLS still names the target URL's host.
        { hostname: 'public-ip.test', target_url: trusted.url },
        { hostname: 'public-dns.test', target_url: `https://localhost:${namedLocalhost.port}` },
        { hostname: 'named-as-public.test', target_url: namedAsPublic.url },
        // Two public names each for one plain and one HTTPS backend origin (preserve_host_header: two Host values).
        { hostname: 'alias-a.test', target_url: plain.url },
        { hostname: 'alias-b.test', target_url: plain.url },
        { hostname: 'tls-alias-a.test', target_url: trusted.url },
        { hostname: 'tls-alias-b.test', target_url: trusted.url },
        { hostname: 'refused.test', target_url: 'http://127.0.0.1:1' }, // port 1: nothing listens, nobody takes it
        {
          hostname: 'silent.test',
          target_url: `http://127.0.0.1:${(silent.address() as { port: number }).port}`,
          read_timeout: 1,
        },
      ];
      for (const body of targets)
        expect((await server.api('POST', '/api/v1/proxy/targets', { body })).status).toBe(201);
    });
    afterAll(async () => {
      await server?.stop();
    });

    const request = (host: string, options: Partial<PublicRequestOptions> = {}) =>
      publicRequest({ port: server.httpPort, host, ...options });

    interface Seen {
      method: string;
      url: string;
      headers: Record<string, string>;
      tls: boolean;
      sni: string | null;
      length: number;
      digest: string;
    }

    it('forwards a GET with the base path and query, and the proxy headers instead of the client’s', async () => {
      const res = await request('plain.test', {
        path: '/a?x=1',
        headers: { 'x-forwarded-for': '6.6.6.6', connection: 'x-drop', 'x-drop': 'hop', 'x-keep': 'k' },
      });
      expect(res.status).toBe(200);
      const seen = res.json<Seen>();
      expect([seen.method, seen.url, seen.tls]).toEqual(['GET', '/base/a?x=1', false]);
      expect(seen.headers).toMatchObject({
        host: 'plain.test', // preserve_host_header (the default)
        'x-forwarded-for': '127.0.0.1',
        'x-forwarded-proto': 'http',
        'x-forwarded-host': 'plain.test',
        'x-keep': 'k',
      });
      expect(seen.headers['x-drop']).toBeUndefined();
      // The answer: hop-by-hop headers gone, the target's own added, the request id set.
      expect([res.headers['x-backend'], res.headers['x-hop'], res.headers['x-target']]).toEqual([
        'yes',
        undefined,
        't',
      ]);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('forwards POST bodies with Content-Length and chunked, byte for byte', async () => {
      const body = Buffer.alloc(300_000, 'p');
      const fixed = (await request('plain.test', { method: 'POST', path: '/post', body })).json<Seen>();
      expect([fixed.method, fixed.length, fixed.digest]).toEqual(['POST', body.length, sha256(body)]);
      const chunked = (
        await request('plain.test', { method: 'PUT', body: 'streamed', headers: { 'transfer-encoding': 'chunked' } })
      ).json<Seen>();
      expect([chunked.method, chunked.length, chunked.digest]).toEqual(['PUT', 8, sha256('streamed')]);
    });

    it('streams an event stream: the first event arrives before the backend sends the second', async () => {
      const id = `${engine}-${Date.now()}`;
      const second = gate();
      sseGates.set(id, second);
      const [contentType, events] = await new Promise<[string | undefined, string[]]>((resolve, reject) => {
        const req = http.get(
          { port: server.httpPort, host: '127.0.0.1', path: `/events?id=${id}`, headers: { host: 'plain.test' } },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => {
              text += c.toString();
              if (text === 'data: one\n\n') second.open(); // only now does the backend send the next event
            });
            res.on('end', () => resolve([res.headers['content-type'], text.split('\n\n').filter(Boolean)]));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
      });
      expect([contentType, events]).toEqual(['text/event-stream', ['data: one', 'data: two']]);
    });

    it('passes a large answer whole', async () => {
      const res = await request('plain.test', { path: '/large' });
      expect([res.status, res.headers['content-length'], Buffer.byteLength(res.text), sha256(res.text)]).toEqual([
        200,
        String(LARGE),
        LARGE,
        sha256(largeBody),
      ]);
    });

    it('answers 502 when the backend refuses and 504 when it stays silent past read_timeout', async () => {
      const refused = await request('refused.test', { headers: { accept: 'application/json' } });
      expect([refused.status, refused.json<{ message: string }>().message]).toEqual([
        502,
        'the backend refused the connection',
      ]);
      const slow = await request('silent.test');
      expect([slow.status, slow.text]).toEqual([504, '504 Gateway Timeout: the backend did not answer in time\n']);
    });

    it('forwards to an HTTPS backend whose certificate a trusted CA issued, verified', async () => {
      const res = await request('trusted.test', { method: 'POST', path: '/secure', body: 'over tls' });
      expect(res.status).toBe(200);
      const seen = res.json<Seen>();
      expect([seen.tls, seen.url, seen.length, seen.headers.host]).toEqual([
        true,
        '/secure',
        8,
        `127.0.0.1:${trusted.port}`,
      ]);
    });

    it('answers 502 saying why for an HTTPS backend it cannot trust', async () => {
      const self = await request('self-signed.test', { headers: { accept: 'application/json' } });
      expect([self.status, self.json<{ message: string }>().message]).toEqual([
        502,
        'backend certificate not trusted: self-signed certificate',
      ]);
      const other = await request('wrong-name.test');
      expect([other.status, other.text]).toEqual([
        502,
        "502 Bad Gateway: backend certificate not trusted: the certificate's names do not include the backend's host\n",
      ]);
    });

    it('verifies an HTTPS backend against the target URL’s host, not the public Host it is sent', async () => {
      const byIp = await request('public-ip.test', { path: '/by-ip' });
      expect(byIp.status).toBe(200);
      const ip = byIp.json<Seen>();
      // An IP literal: checked against the IP, and no SNI (RFC 6066 allows DNS names only).
      expect([ip.tls, ip.url, ip.headers.host, ip.sni]).toEqual([true, '/by-ip', 'public-ip.test', null]);
      const byName = await request('public-dns.test', { path: '/by-name' });
      expect(byName.status).toBe(200);
      const name = byName.json<Seen>();
      expect([name.tls, name.url, name.headers.host, name.sni]).toEqual([
        true,
        '/by-name',
        'public-dns.test',
        'localhost',
      ]);
    });

    it('answers 502 for an HTTPS backend whose certificate names only the public Host, not the target URL’s host', async () => {
      const res = await request('named-as-public.test');
      expect([res.status, res.text]).toEqual([
        502,
        "502 Bad Gateway: backend certificate not trusted: the certificate's names do not include the backend's host\n",
      ]);
    });

    it('keeps one backend connection for one origin whatever public Host the requests carry', async () => {
      for (const [a, b] of [
        ['alias-a.test', 'alias-b.test'],
        ['tls-alias-a.test', 'tls-alias-b.test'],
      ]) {
        const peers = new Set<number>();
        for (const host of [a, b, a, b]) {
          const answer = await request(host);
          expect(answer.status).toBe(200);
          peers.add(answer.json<{ peer: number }>().peer);
        }
        expect({ hosts: [a, b], connections: peers.size }).toEqual({ hosts: [a, b], connections: 1 });
      }
    });

    it('prints no DeprecationWarning while forwarding', () => {
      expect(server.logs).not.toContain('DeprecationWarning');
    });
  });
});
