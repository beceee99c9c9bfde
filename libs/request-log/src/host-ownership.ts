import { Inject, Injectable, Logger, Optional } from '@nestjs/common';

/**
 * Which hostnames a (non-admin) API token owns, so its log queries show those hosts only. The proxy
 * targets module provides it (`ProxyTargetHostsModule`: the hostnames of the token's targets).
 */
export interface HostOwnershipLookup {
  hostsOwnedBy(tokenName: string): Promise<string[]>;
}

export const HOST_OWNERSHIP_LOOKUP = Symbol('HOST_OWNERSHIP_LOOKUP');

/** The lookup as the request log uses it. Without one (a composition without proxy targets), non-admin tokens see no entries. */
@Injectable()
export class HostOwnership {
  constructor(@Optional() @Inject(HOST_OWNERSHIP_LOOKUP) private readonly lookup?: HostOwnershipLookup) {
    if (!lookup)
      new Logger(HostOwnership.name).warn(
        'no HOST_OWNERSHIP_LOOKUP is provided: request-log queries by non-admin tokens show no entries',
      );
  }

  async hostsOwnedBy(tokenName: string): Promise<Set<string>> {
    const hosts = this.lookup ? await this.lookup.hostsOwnedBy(tokenName) : [];
    return new Set(hosts.map((h) => h.toLowerCase()));
  }
}
