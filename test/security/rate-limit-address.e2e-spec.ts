import { rawExchange } from '../support/raw-http';
import { echoBackend, publicRequest, type Backend } from '../support/loopback';
import { ServerProcess } from '../support/server-process';

const HOST = 'limited-address.test';

/**
 * Limits per address count the trusted client address (docs/security.md, "Rate limits"): the
 * PROXY protocol header of a trusted balancer, or the forwarded headers of a trusted HTTP
 * balancer; a client's own X-Forwarded-For from an untrusted peer changes nothing, so a flood
 * cannot spread itself over invented addresses.
 */
describe('rate limits per address: the trusted client address only', () => {
  let server: ServerProcess;
  let backend: Backend;

  beforeAll(async () => {
    backend = await echoBackend();
    // 127.0.0.1 is the trusted balancer (PROXY protocol and X-Forwarded-For); 127.0.0.2 a client.
    server = await ServerProcess.start({
      env: { PROXY_PROTOCOL_TRUSTED_CIDRS: '127.0.0.1/32', FORWARDED_TRUSTED_CIDRS: '127.0.0.1/32' },
    });
    const created = await server.api('POST', '/api/v1/proxy/targets', {
      body: { hostname: HOST, target_url: backend.url, rate_limits: [{ per: 'address', limit: 2, window: '1h' }] },
    });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await Promise.all([server?.stop(), backend?.close()]);
  });

  /** Status of one request through the PROXY protocol listener, the balancer saying the client is `client`. */
  const viaProxyProtocol = async (client: string) => {
    const header = client.includes(':')
      ? `PROXY TCP6 ${client} ::1 40000 80\r\n`
      : `PROXY TCP4 ${client} 127.0.0.1 40000 80\r\n`;
    const request = `GET / HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`;
    const result = await rawExchange(server.proxyProtocolPort, header + request);
    return result.responses[0]?.status;
  };
  const direct = async (localAddress: string, forwardedFor: string) =>
    (
      await publicRequest({
        port: server.httpPort,
        host: HOST,
        localAddress,
        headers: { 'x-forwarded-for': forwardedFor },
      })
    ).status;

  it('counts the address a trusted PROXY protocol header names, each address on its own', async () => {
    expect([
      await viaProxyProtocol('198.51.100.1'),
      await viaProxyProtocol('198.51.100.1'),
      await viaProxyProtocol('198.51.100.1'),
    ]).toEqual([200, 200, 429]);
    expect([await viaProxyProtocol('198.51.100.2'), await viaProxyProtocol('198.51.100.2')]).toEqual([200, 200]);
  });

  it('counts the address a trusted balancer forwards (X-Forwarded-For from 127.0.0.1)', async () => {
    expect([
      await direct('127.0.0.1', '203.0.113.1'),
      await direct('127.0.0.1', '203.0.113.1'),
      await direct('127.0.0.1', '203.0.113.1'),
      await direct('127.0.0.1', '203.0.113.2'),
    ]).toEqual([200, 200, 429, 200]);
  });

  it("ignores an untrusted client's X-Forwarded-For: every invented address counts as the peer's", async () => {
    const statuses: number[] = [];
    for (const spoofed of ['192.0.2.10', '192.0.2.11', '192.0.2.12', '192.0.2.13'])
      statuses.push(await direct('127.0.0.2', spoofed));
    expect(statuses).toEqual([200, 200, 429, 429]);
  });

  // Found by the issue 19 attack: one IPv6 host holds a whole /64 (SLAAC, privacy addresses), so a
  // counter per address let it spread a flood over 2^64 invented addresses; and the same client
  // spelled two ways (IPv4-mapped, upper case, zeros written out) had two counters.
  it('counts an IPv6 client by its /64: other addresses of the same network share the counter', async () => {
    expect([
      await viaProxyProtocol('2001:db8:1:2::1'),
      await viaProxyProtocol('2001:db8:1:2::2'),
      await viaProxyProtocol('2001:db8:1:2:ffff:eeee:dddd:cccc'),
    ]).toEqual([200, 200, 429]);
    expect(await viaProxyProtocol('2001:db8:1:3::1')).toBe(200);
  });

  it('counts one address under any spelling (IPv4-mapped IPv6, upper case, zeros written out) once', async () => {
    expect([
      await viaProxyProtocol('198.51.100.9'),
      await viaProxyProtocol('::ffff:198.51.100.9'),
      await viaProxyProtocol('0:0:0:0:0:FFFF:C633:6409'),
    ]).toEqual([200, 200, 429]);
    expect([
      await viaProxyProtocol('2001:DB8:0:9::1'),
      await viaProxyProtocol('2001:0db8:0000:0009:0000:0000:0000:0002'),
      await viaProxyProtocol('2001:db8:0:9::3'),
    ]).toEqual([200, 200, 429]);
  });

  it('counts every request pipelined on one connection: none is forwarded past the limit', async () => {
    const get = `GET / HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`;
    const last = `GET / HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`;
    const result = await rawExchange(
      server.proxyProtocolPort,
      `PROXY TCP4 198.51.100.40 127.0.0.1 40000 80\r\n${get}${get}${get}${last}`,
    );
    const statuses = result.responses.map((r) => r.status);
    // Node may still answer a request pipelined behind the 429 (Connection: close): refused too, never forwarded.
    expect(statuses.slice(0, 3)).toEqual([200, 200, 429]);
    expect(statuses.slice(3).every((s) => s === 429)).toBe(true);
    expect(result.responses.filter((r) => r.body.includes('"backend"'))).toHaveLength(2);
  });
});
