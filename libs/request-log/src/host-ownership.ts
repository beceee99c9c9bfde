import { Injectable } from '@nestjs/common';

/**
 * Which hostnames a (non-admin) API token owns, so its log queries show those hosts only. The proxy
 * module provides it (hostnames of the token's proxy targets) with `HostOwnership.use(lookup)` at
 * init. Until one is registered, non-admin tokens see no entries.
 */
export interface HostOwnershipLookup {
  hostsOwnedBy(tokenName: string): Promise<string[]>;
}

@Injectable()
export class HostOwnership {
  private lookup: HostOwnershipLookup | null = null;

  use(lookup: HostOwnershipLookup): void {
    this.lookup = lookup;
  }

  async hostsOwnedBy(tokenName: string): Promise<Set<string>> {
    const hosts = this.lookup ? await this.lookup.hostsOwnedBy(tokenName) : [];
    return new Set(hosts.map((h) => h.toLowerCase()));
  }
}
