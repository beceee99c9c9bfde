import { plainAddress, TrustedNetworks } from './trusted-networks';

describe('TrustedNetworks', () => {
  it('checks IPv4, IPv4-mapped and IPv6 addresses against CIDRs', () => {
    const trusted = new TrustedNetworks(['127.0.0.1/32', '10.0.0.0/8', '::1/128']);
    expect([
      trusted.has('127.0.0.1'),
      trusted.has('::ffff:127.0.0.1'),
      trusted.has('10.9.8.7'),
      trusted.has('::1'),
    ]).toEqual([true, true, true, true]);
    expect([trusted.has('127.0.0.2'), trusted.has('192.168.0.1'), trusted.has('::2'), trusted.has(undefined)]).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });

  it('names a malformed CIDR', () => {
    expect(() => new TrustedNetworks(['10.0.0.0/33'])).toThrow('"10.0.0.0/33" is not a CIDR');
    expect(() => new TrustedNetworks(['nonsense/8'])).toThrow(/PROXY_PROTOCOL_TRUSTED_CIDRS/);
  });

  it('shows IPv4-mapped addresses plainly', () => {
    expect([plainAddress('::ffff:192.0.2.1'), plainAddress('::1'), plainAddress(undefined)]).toEqual([
      '192.0.2.1',
      '::1',
      '',
    ]);
  });
});
