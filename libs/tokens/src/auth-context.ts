import type { ReservedHostnames } from '@app/config';
import { Forbidden } from '@app/http';

export const ADMIN_TOKEN_NAME = 'ADMIN';

/** Who is calling: the admin (from ADMIN_TOKEN) or a named API token. */
export class AuthContext {
  constructor(
    readonly tokenName: string,
    readonly isAdmin: boolean,
  ) {}

  /** Admin sees everything; others only what they own. */
  canAccess(owner: string): boolean {
    return this.isAdmin || owner === this.tokenName;
  }

  assertOwner(owner: string, what: string): void {
    if (!this.canAccess(owner)) throw Forbidden(`${what} belongs to another token`);
  }

  /**
   * Refuses (403) a non-admin caller that names one of the server's own hostnames for a target,
   * route or certificate; the admin may (the server serves and certifies its own names).
   */
  assertMayClaim(reserved: ReservedHostnames, hostnames: Iterable<string>): void {
    if (this.isAdmin) return;
    for (const hostname of hostnames) {
      const problem = reserved.problem(hostname);
      if (problem) throw Forbidden(problem);
    }
  }
}
