import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { plainAddress } from '@app/http/client-address';

export { plainAddress };

/** The BlockList type of an address; null when it is not an IP address. */
function addressType(address: string): 'ipv4' | 'ipv6' | null {
  if (isIPv4(address)) return 'ipv4';
  if (isIPv6(address)) return 'ipv6';
  return null;
}

/** A set of CIDRs (PROXY_PROTOCOL_TRUSTED_CIDRS, FORWARDED_TRUSTED_CIDRS) and a membership test. */
export class TrustedNetworks {
  private readonly list = new BlockList();

  constructor(cidrs: readonly string[], setting = 'PROXY_PROTOCOL_TRUSTED_CIDRS') {
    for (const cidr of cidrs) {
      const [network, bits] = cidr.split('/');
      const type = addressType(network);
      const prefix = Number(bits);
      if (!type || !Number.isInteger(prefix) || prefix < 0 || prefix > (type === 'ipv4' ? 32 : 128)) {
        throw new Error(`${setting}: "${cidr}" is not a CIDR such as 10.0.0.0/8 or ::1/128`);
      }
      this.list.addSubnet(network, prefix, type);
    }
  }

  has(address: string | undefined): boolean {
    const plain = plainAddress(address);
    if (isIPv4(plain)) return this.list.check(plain, 'ipv4');
    if (isIPv6(plain)) return this.list.check(plain, 'ipv6');
    return false;
  }
}
