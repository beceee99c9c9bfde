import { ForwardedHeaderTrust, walkForwarded, walkXForwardedFor } from './forwarded-client';
import { TrustedNetworks } from './trusted-networks';

const trusted = new TrustedNetworks(['10.0.0.0/8', '127.0.0.1/32', 'fd00::/8'], 'FORWARDED_TRUSTED_CIDRS');

describe('forwarded headers from trusted balancers', () => {
  it('takes the right-most untrusted X-Forwarded-For address and keeps the chain from it', () => {
    expect(walkXForwardedFor('198.51.100.66, 203.0.113.9, 10.1.2.3', trusted)).toEqual({
      client: '203.0.113.9',
      chain: '203.0.113.9, 10.1.2.3',
    });
    expect(walkXForwardedFor('203.0.113.9', trusted)).toEqual({ client: '203.0.113.9', chain: '203.0.113.9' });
    // All trusted: the left-most is the client.
    expect(walkXForwardedFor('10.0.0.1,10.0.0.2', trusted)).toEqual({
      client: '10.0.0.1',
      chain: '10.0.0.1, 10.0.0.2',
    });
    expect(walkXForwardedFor('::ffff:203.0.113.9, 2001:db8::1', trusted)).toEqual({
      client: '2001:db8::1',
      chain: '2001:db8::1',
    });
    // What the client wrote left of its own address is never parsed.
    expect(walkXForwardedFor('garbage, 203.0.113.9, 10.1.2.3', trusted)?.client).toBe('203.0.113.9');
  });

  it('refuses malformed X-Forwarded-For entries it walks', () => {
    for (const value of [
      '203.0.113.9, nope',
      '203.0.113.9:80',
      ',',
      '203.0.113.9,,10.1.2.3',
      '[2001:db8::1]',
      '1.2.3',
      `${'10.0.0.1,'.repeat(70)}10.0.0.1`,
    ]) {
      expect({ value, walked: walkXForwardedFor(value, trusted) }).toEqual({ value, walked: null });
    }
  });

  it('walks RFC 7239 elements from the right: for= node forms, proto= of the client element', () => {
    expect(
      walkForwarded(
        'for=198.51.100.66;proto=http, for="[2001:db8::1]:4711";proto=https;by=10.1.2.3, For=10.1.2.3;Proto=https',
        trusted,
      ),
    ).toEqual({
      client: '2001:db8::1',
      chain: '2001:db8::1, 10.1.2.3',
      proto: 'https',
    });
    expect(walkForwarded('for="203.0.113.9:8080"', trusted)).toEqual({
      client: '203.0.113.9',
      chain: '203.0.113.9',
      proto: undefined,
    });
    expect(walkForwarded('for="[fd00::1]";proto=http', trusted)).toEqual({
      client: 'fd00::1',
      chain: 'fd00::1',
      proto: 'http',
    });
    // A client's unbalanced quote or garbage left of the balancer's element does not hide it.
    expect(walkForwarded('for="oops, for=203.0.113.9;proto=https', trusted)).toEqual({
      client: '203.0.113.9',
      chain: '203.0.113.9',
      proto: 'https',
    });
  });

  it('refuses a walked Forwarded element that does not parse or names no address', () => {
    const refused = [
      'for=203.0.113.9;for=1.2.3.4',
      'for=[2001:db8::1]',
      'for=2001:db8::1',
      'for=unknown',
      'for=_hidden',
      'for="203.0.113.9',
      'for="a\\"b"',
      'proto=https',
      'for=203.0.113.9;proto=ftp',
      'for = 203.0.113.9',
      'for=203.0.113.9, for=10.1.2.3;;by',
    ];
    for (const value of refused)
      expect({ value, walked: walkForwarded(value, trusted) }).toEqual({ value, walked: null });
  });

  it('reads the configured format only, and the proto case-insensitively', () => {
    const x = new ForwardedHeaderTrust(trusted, 'x-forwarded');
    expect(
      x.read(
        { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'HTTPS', forwarded: 'for=192.0.2.1' },
        '127.0.0.1',
      ),
    ).toEqual({ clientIp: '203.0.113.9', forwardedFor: '203.0.113.9, 127.0.0.1', proto: 'https' });
    expect(x.read({ 'x-forwarded-for': 'x', 'x-forwarded-proto': 'gopher' }, '127.0.0.1').problem).toBe(
      'malformed X-Forwarded-For "x"; X-Forwarded-Proto "gopher" is not http or https',
    );
    expect(x.read({}, '127.0.0.1')).toEqual({});
    const rfc = new ForwardedHeaderTrust(trusted, 'forwarded');
    expect(rfc.read({ 'x-forwarded-for': '192.0.2.1', forwarded: 'for=203.0.113.9;proto=https' }, '127.0.0.1')).toEqual(
      { clientIp: '203.0.113.9', forwardedFor: '203.0.113.9, 127.0.0.1', proto: 'https' },
    );
    expect(rfc.trusts('127.0.0.1') && !rfc.trusts('127.0.0.2')).toBe(true);
  });
});
