import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { HaproxyProcess } from '../support/haproxy';
import { Backend, echoBackend, publicRequest, type Echo } from '../support/loopback';
import { ServerProcess } from '../support/server-process';

const HOST = 'pp.test';

/** Sends raw bytes on a fresh connection (optionally from another loopback source) and returns all it gets back. */
function rawExchange(
  port: number,
  data: Buffer | string,
  localAddress = '127.0.0.1',
): Promise<{ text: string; closedByPeer: boolean }> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ port, host: '127.0.0.1', localAddress });
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ECONNRESET' ? resolve({ text, closedByPeer: true }) : reject(error),
    );
    socket.on('end', () => resolve({ text, closedByPeer: true }));
    socket.once('connect', () => socket.write(data));
  });
}

const httpRequest = (extra = '') =>
  `GET /who HTTP/1.1\r\nHost: ${HOST}\r\nX-Forwarded-For: 6.6.6.6\r\nX-Real-IP: 6.6.6.6\r\n${extra}Connection: close\r\n\r\n`;
const bodyOf = (text: string) => JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as Echo;

/**
 * The PROXY protocol listener behind Debian's haproxy (send-proxy / send-proxy-v2): the backend
 * sees the original client address. Untrusted peers and malformed headers are disconnected.
 */
describe('PROXY protocol', () => {
  let server: ServerProcess;
  let backend: Backend;
  let haproxy: HaproxyProcess;

  beforeAll(async () => {
    backend = await echoBackend();
    // Only 127.0.0.1 (where haproxy connects from) may send PROXY headers; PROXY also on the 80/443 listeners.
    server = await ServerProcess.start({
      env: { PROXY_PROTOCOL_TRUSTED_CIDRS: '127.0.0.1/32', HTTP_PROXY_PROTOCOL: 'true', HTTPS_PROXY_PROTOCOL: 'true' },
    });
    await server.api('POST', '/api/v1/proxy/targets', { body: { hostname: HOST, target_url: backend.url } });
    haproxy = await HaproxyProcess.start(server.proxyProtocolPort);
  });
  afterAll(async () => {
    await Promise.all([haproxy?.stop(), server.stop(), backend.close()]);
  });

  it.each([
    ['send-proxy (v1)', () => haproxy.v1Port],
    ['send-proxy-v2', () => haproxy.v2Port],
  ])('haproxy %s: the backend sees the original client address, not the spoofed headers', async (_name, port) => {
    const res = await publicRequest({
      port: port(),
      host: HOST,
      path: '/who',
      localAddress: '127.0.0.2',
      headers: { 'x-forwarded-for': '6.6.6.6', 'x-real-ip': '6.6.6.6' },
    });
    expect(res.status).toBe(200);
    expect(res.json().headers).toMatchObject({ 'x-forwarded-for': '127.0.0.2', 'x-real-ip': '127.0.0.2', host: HOST });
  });

  it('keeps the client address for every request of a kept-alive connection', async () => {
    const two = `${httpRequest().replace('Connection: close\r\n', '')}${httpRequest()}`;
    const { text } = await rawExchange(
      server.proxyProtocolPort,
      `PROXY TCP4 198.51.100.20 10.0.0.1 40000 80\r\n${two}`,
    );
    const answers = text.split('HTTP/1.1 200 OK').slice(1);
    expect(answers).toHaveLength(2);
    for (const answer of answers) expect(answer).toContain('"x-forwarded-for":"198.51.100.20"');
  });

  it('closes connections from peers outside PROXY_PROTOCOL_TRUSTED_CIDRS', async () => {
    const result = await rawExchange(
      server.proxyProtocolPort,
      `PROXY TCP4 198.51.100.20 10.0.0.1 40000 80\r\n${httpRequest()}`,
      '127.0.0.3',
    );
    expect(result).toEqual({ text: '', closedByPeer: true });
  });

  it('closes connections with a malformed or missing PROXY header', async () => {
    expect(
      await rawExchange(server.proxyProtocolPort, `PROXY TCP4 999.1.1.1 10.0.0.1 1 2\r\n${httpRequest()}`),
    ).toEqual({ text: '', closedByPeer: true });
    expect(await rawExchange(server.proxyProtocolPort, httpRequest())).toEqual({ text: '', closedByPeer: true });
  });

  it('accepts PROXY headers on the HTTP listener when HTTP_PROXY_PROTOCOL is on', async () => {
    const { text } = await rawExchange(server.httpPort, `PROXY TCP4 203.0.113.9 10.0.0.1 40000 80\r\n${httpRequest()}`);
    expect(bodyOf(text).headers).toMatchObject({ 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'http' });
  });

  it.each([
    ['in its own packet', false],
    ['in the same packet as the TLS ClientHello', true],
  ])(
    'accepts a PROXY header %s before TLS on the HTTPS listener when HTTPS_PROXY_PROTOCOL is on',
    async (_name, together) => {
      const raw = connect({ port: server.httpsPort, host: '127.0.0.1' });
      await new Promise((resolve) => raw.once('connect', resolve));
      if (together) raw.cork();
      raw.write('PROXY TCP6 2001:db8::7 2001:db8::1 40000 443\r\n');
      const tls = tlsConnect({ socket: raw, servername: HOST, rejectUnauthorized: false });
      if (together) setImmediate(() => raw.uncork());
      let text = '';
      tls.on('data', (d: Buffer) => (text += d.toString()));
      await new Promise((resolve, reject) => {
        tls.once('secureConnect', resolve);
        tls.once('error', reject);
      });
      tls.write(httpRequest());
      await new Promise((resolve) => tls.once('end', resolve));
      expect(bodyOf(text).headers).toMatchObject({ 'x-forwarded-for': '2001:db8::7', 'x-forwarded-proto': 'https' });
    },
  );
});
