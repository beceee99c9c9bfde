import type * as http from 'node:http';
import type { TLSSocket } from 'node:tls';
import { WebSocket, WebSocketServer } from 'ws';
import { Backend, publicRequest } from '../support/loopback';
import { ServerProcess } from '../support/server-process';
import { TestCertificateAuthority } from '../support/test-ca';

interface Hello {
  host: string;
  sni: string | null;
}

/**
 * The name an HTTPS backend's certificate is verified against (and sent as SNI) is the target
 * URL's host, chosen by the target's owner; never the client's Host header, which
 * `preserve_host_header` (the default) passes on to the backend. Otherwise any backend holding a
 * certificate for the public name would be trusted wherever it answers, and a backend with a valid
 * certificate for its own address would be refused. For requests (the default engine hands HTTPS
 * to undici; every engine: test/dispatcher/forwarding-engines.e2e-spec.ts) and WebSocket upgrades
 * (node:http).
 */
describe('backend TLS name: the target URL’s host, never the client’s Host', () => {
  const ca = TestCertificateAuthority.create();
  let server: ServerProcess;
  let forItsAddress: Backend;
  let forThePublicName: Backend;
  const sockets: WebSocketServer[] = [];

  /** Answers requests and WebSocket greetings with the Host it was sent and the SNI it was asked for. */
  const hello = (req: http.IncomingMessage): Hello => ({
    host: req.headers.host ?? '',
    sni: (req.socket as TLSSocket).servername || null,
  });

  async function startBackend(subjectAltName: string): Promise<Backend> {
    const backend = await Backend.startTls((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(hello(req)));
    }, ca.issue(subjectAltName));
    const wss = new WebSocketServer({ server: backend.server });
    wss.on('connection', (socket, req) => socket.send(JSON.stringify(hello(req))));
    sockets.push(wss);
    return backend;
  }

  beforeAll(async () => {
    forItsAddress = await startBackend('IP:127.0.0.1');
    forThePublicName = await startBackend('DNS:public-name.test');
    server = await ServerProcess.start({ env: { NODE_EXTRA_CA_CERTS: ca.caFile } });
    for (const body of [
      { hostname: 'its-address.test', target_url: forItsAddress.url },
      { hostname: 'public-name.test', target_url: forThePublicName.url },
    ])
      expect((await server.api('POST', '/api/v1/proxy/targets', { body })).status).toBe(201);
  });
  afterAll(async () => {
    for (const wss of sockets) wss.close();
    await Promise.all([server?.stop(), forItsAddress?.close(), forThePublicName?.close()]);
    ca.remove();
  });

  const request = (host: string) => publicRequest({ port: server.httpPort, host });

  /** A WebSocket through the proxy: the backend's greeting, or the status the proxy refused with. */
  function upgrade(host: string): Promise<Hello | number> {
    const ws = new WebSocket(`ws://127.0.0.1:${server.httpPort}/socket`, { headers: { host } });
    return new Promise<Hello | number>((resolve, reject) => {
      ws.on('message', (data) => {
        resolve(JSON.parse(String(data)) as Hello);
        ws.close();
      });
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
      });
      ws.on('error', reject);
    });
  }

  it('refuses a backend whose certificate names only the client’s Host (502), for requests and upgrades', async () => {
    const res = await request('public-name.test');
    expect([res.status, res.text]).toEqual([
      502,
      "502 Bad Gateway: backend certificate not trusted: the certificate's names do not include the backend's host\n",
    ]);
    expect(await upgrade('public-name.test')).toBe(502);
  });

  it('trusts a backend whose certificate names the target URL’s host, sent the client’s Host and no SNI for an IP', async () => {
    const res = await request('its-address.test');
    expect([res.status, res.json<Hello>()]).toEqual([200, { host: 'its-address.test', sni: null }]);
    expect(await upgrade('its-address.test')).toEqual({ host: 'its-address.test', sni: null });
  });
});
