import { domainToASCII } from 'node:url';

/** A hostname the server itself answers for, and why (said in refusals so the operator knows which setting). */
export interface ReservedHostname {
  hostname: string;
  /** e.g. "the authorization server's hostname (AUTH_HOSTNAME)". */
  role: string;
}

/** Lower-case, without trailing dots, IDN in ASCII: the form every comparison uses. */
function canonical(hostname: string): string {
  const lowered = hostname.trim().toLowerCase().replace(/\.+$/, '');
  return domainToASCII(lowered) || lowered;
}

/**
 * The hostnames only the admin token may give to a proxy target, a route or a certificate: whoever
 * serves them serves pages on the authorization server's (or admin's) origin and receives its
 * cookies. Compared in canonical form (case, trailing dot, IDN); a wildcard (`*.example.com`)
 * counts when it covers one of them.
 */
export class ReservedHostnames {
  private readonly byName = new Map<string, ReservedHostname>();

  constructor(entries: readonly ReservedHostname[]) {
    // The first role wins when two settings name the same host (the issuer defaults to AUTH_HOSTNAME).
    for (const entry of entries) {
      const hostname = canonical(entry.hostname);
      if (hostname && !this.byName.has(hostname)) this.byName.set(hostname, { hostname, role: entry.role });
    }
  }

  get all(): ReservedHostname[] {
    return [...this.byName.values()];
  }

  /** The reserved hostname that `hostname` names or (as a wildcard) covers; undefined when none. */
  find(hostname: string): ReservedHostname | undefined {
    const name = canonical(hostname);
    const exact = this.byName.get(name);
    if (exact || !name.startsWith('*.')) return exact;
    const parent = name.slice(2);
    for (const entry of this.byName.values()) {
      if (entry.hostname.slice(entry.hostname.indexOf('.') + 1) === parent) return entry;
    }
    return undefined;
  }

  /** Why a non-admin caller may not use `hostname`, or null when it may. */
  problem(hostname: string): string | null {
    const reserved = this.find(hostname);
    return reserved
      ? `${reserved.hostname} is ${reserved.role} and is reserved: only the admin token may use it`
      : null;
  }
}
