import { isIPv4, isIPv6 } from 'node:net';

/** IPv6 clients are counted by this prefix: what one host or subscriber holds at least (RFC 6177). */
export const IPV6_PREFIX_BITS = 64;

/**
 * The counter subject of a client address (rate limits per address: the data path's, client
 * registration's): an IPv4 address as is; an IPv4-mapped IPv6 address as
 * its IPv4 address; any other IPv6 address as its /64 network in one spelling (`2001:db8:0:9::/64`).
 * One IPv6 host picks any of the 2^64 addresses of its network (SLAAC, privacy addresses), so a
 * counter per address would let it spread a flood over invented addresses; and a balancer's PROXY
 * header may spell one address several ways. Anything else (no address) is kept as given.
 */
export function addressSubject(address: string): string {
  const bare = address.includes('%') ? address.slice(0, address.indexOf('%')) : address; // zone id
  if (isIPv4(bare)) return bare;
  if (!isIPv6(bare)) return address;
  const groups = ipv6Groups(bare);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff)
    return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.');
  const network = groups.slice(0, IPV6_PREFIX_BITS / 16).map((g) => g.toString(16));
  return `${network.join(':')}::/${IPV6_PREFIX_BITS}`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 tail as two groups). */
function ipv6Groups(text: string): number[] {
  let spelled = text;
  const lastColon = spelled.lastIndexOf(':');
  if (spelled.includes('.', lastColon)) {
    const [a, b, c, d] = spelled
      .slice(lastColon + 1)
      .split('.')
      .map(Number);
    spelled = `${spelled.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [left, right] = spelled.split('::');
  const head = left ? left.split(':') : [];
  const tail = right ? right.split(':') : [];
  const zeros: string[] = Array<string>(8 - head.length - tail.length).fill('0');
  return [...head, ...(right === undefined ? [] : zeros), ...tail].map((g) => parseInt(g, 16));
}
