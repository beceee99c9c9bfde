import { parseProxyHeader, V2_SIGNATURE } from './proxy-protocol';

function v2(command: number, familyTransport: number, body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head[0] = 0x20 | command;
  head[1] = familyTransport;
  head.writeUInt16BE(body.length, 2);
  return Buffer.concat([V2_SIGNATURE, head, body]);
}

describe('PROXY protocol header parsing', () => {
  it('parses v1 TCP4 and reports the header length', () => {
    const header = 'PROXY TCP4 203.0.113.7 10.0.0.1 51234 443\r\n';
    const result = parseProxyHeader(Buffer.from(`${header}GET / HTTP/1.1\r\n`));
    expect(result).toEqual({
      state: 'ok',
      length: header.length,
      source: { address: '203.0.113.7', port: 51234, family: 'IPv4' },
    });
  });

  it('parses v1 TCP6 and UNKNOWN', () => {
    expect(parseProxyHeader(Buffer.from('PROXY TCP6 2001:db8::1 ::1 4000 80\r\n'))).toMatchObject({
      state: 'ok',
      source: { address: '2001:db8::1', port: 4000, family: 'IPv6' },
    });
    expect(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n'))).toEqual({ state: 'ok', length: 15, source: null });
  });

  it('asks for more bytes while the header may still be valid', () => {
    for (const partial of ['P', 'PROXY', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2', '\r\n\r\n\0']) {
      expect(parseProxyHeader(Buffer.from(partial, 'latin1'))).toEqual({ state: 'incomplete' });
    }
    expect(parseProxyHeader(V2_SIGNATURE.subarray(0, 14))).toEqual({ state: 'incomplete' });
  });

  it('refuses malformed v1 headers', () => {
    expect(parseProxyHeader(Buffer.from('GET / HTTP/1.1\r\n'))).toMatchObject({
      state: 'invalid',
      reason: 'not a PROXY protocol header',
    });
    expect(parseProxyHeader(Buffer.from('PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n'))).toMatchObject({ state: 'invalid' });
    expect(parseProxyHeader(Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n'))).toMatchObject({ state: 'invalid' });
    expect(parseProxyHeader(Buffer.from('PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n'))).toMatchObject({ state: 'invalid' });
    expect(parseProxyHeader(Buffer.from(`PROXY TCP4 ${'1'.repeat(120)}`))).toMatchObject({
      state: 'invalid',
      reason: 'PROXY v1 line longer than 107 bytes',
    });
  });

  it('parses v2 PROXY over IPv4 and IPv6, skipping TLVs', () => {
    const ipv4 = Buffer.from([192, 0, 2, 10, 10, 0, 0, 1, 0xc0, 0x00, 0x01, 0xbb, 0x04, 0x00, 0x01, 0x00]); // + a NOOP TLV
    const header = v2(1, 0x11, ipv4);
    const result = parseProxyHeader(Buffer.concat([header, Buffer.from('GET /')]));
    expect(result).toEqual({
      state: 'ok',
      length: header.length,
      source: { address: '192.0.2.10', port: 49152, family: 'IPv4' },
    });

    const ipv6 = Buffer.alloc(36);
    ipv6.writeUInt16BE(0x2001, 0);
    ipv6.writeUInt16BE(0x0db8, 2);
    ipv6.writeUInt16BE(0x0001, 14);
    ipv6[31] = 1;
    ipv6.writeUInt16BE(8080, 32);
    expect(parseProxyHeader(v2(1, 0x21, ipv6))).toMatchObject({
      state: 'ok',
      source: { address: '2001:db8::1', port: 8080, family: 'IPv6' },
    });
  });

  it('treats v2 LOCAL as no client address and refuses bad versions or commands', () => {
    expect(parseProxyHeader(v2(0, 0x00, Buffer.alloc(0)))).toEqual({ state: 'ok', length: 16, source: null });
    const badVersion = v2(1, 0x11, Buffer.alloc(12));
    badVersion[12] = 0x11;
    expect(parseProxyHeader(badVersion)).toMatchObject({ state: 'invalid', reason: 'PROXY v2 version is not 2' });
    expect(parseProxyHeader(v2(2, 0x11, Buffer.alloc(12)))).toMatchObject({ state: 'invalid' });
    expect(parseProxyHeader(v2(1, 0x11, Buffer.alloc(4)))).toMatchObject({
      state: 'invalid',
      reason: 'PROXY v2 IPv4 block shorter than 12 bytes',
    });
  });
});
