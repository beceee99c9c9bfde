import { Inject, Injectable } from '@nestjs/common';

/**
 * What a module owns on behalf of a token (proxy targets, certificates, services...): token
 * listings count it and deleting the token deletes it. Each feature module provides its own.
 */
export interface OwnedResourceKind {
  /** Plural name shown in listings, e.g. "proxy_targets". */
  readonly kind: string;
  countOwned(tokenName: string): Promise<number>;
  deleteOwned(tokenName: string): Promise<number>;
}

/**
 * The owned kinds in deletion order. Only the composition root knows every feature module, so it
 * provides the list (apps/server/src/token-deletion-cascade.ts); without it the server does not start.
 */
export const OWNED_RESOURCE_KINDS = Symbol('OWNED_RESOURCE_KINDS');

@Injectable()
export class TokenDeletionCascade {
  constructor(@Inject(OWNED_RESOURCE_KINDS) private readonly kinds: readonly OwnedResourceKind[]) {}

  async count(tokenName: string): Promise<Record<string, number>> {
    const counts = await Promise.all(this.kinds.map(async (k) => [k.kind, await k.countOwned(tokenName)] as const));
    return Object.fromEntries(counts);
  }

  /** Deletes kind after kind in the given order; the answer lists them in that order. */
  async deleteAll(tokenName: string): Promise<Record<string, number>> {
    const deleted: Record<string, number> = {};
    for (const kind of this.kinds) deleted[kind.kind] = await kind.deleteOwned(tokenName);
    return deleted;
  }
}
