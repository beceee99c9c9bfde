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
}
