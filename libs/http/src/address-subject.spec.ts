import { addressSubject } from './address-subject';

describe('addressSubject', () => {
  it('keeps an IPv4 address', () => {
    expect(addressSubject('203.0.113.7')).toBe('203.0.113.7');
  });

  it('reads an IPv4-mapped IPv6 address as its IPv4 address, in any spelling', () => {
    for (const spelled of ['::ffff:203.0.113.7', '::FFFF:CB00:7107', '0:0:0:0:0:ffff:cb00:7107', '::ffff:cb00:7107'])
      expect(addressSubject(spelled)).toBe('203.0.113.7');
  });

  it('counts an IPv6 address by its /64, whatever the spelling', () => {
    for (const spelled of [
      '2001:db8:1:2::1',
      '2001:DB8:1:2:ffff:eeee:dddd:cccc',
      '2001:0db8:0001:0002:0000:0000:0000:0001',
      '2001:db8:1:2::10.0.0.1',
      '2001:db8:1:2::1%eth0',
    ])
      expect(addressSubject(spelled)).toBe('2001:db8:1:2::/64');
    expect(addressSubject('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressSubject('::1')).toBe('0:0:0:0::/64');
    expect(addressSubject('2001:db8:1:3::1')).not.toBe(addressSubject('2001:db8:1:2::1'));
  });

  it('keeps what is not an address (no client address known)', () => {
    expect(addressSubject('')).toBe('');
    expect(addressSubject('unknown')).toBe('unknown');
  });
});
