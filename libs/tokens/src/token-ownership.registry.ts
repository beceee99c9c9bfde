import { Injectable } from '@nestjs/common';

/**
 * What a module owns on behalf of a token. Feature modules (proxies, certificates, services...)
 * register one at init, so token listings count their resources and deleting a token deletes them.
 */
export interface OwnedResourceKind {
  /** Plural name shown in listings, e.g. "proxy_targets". */
  readonly kind: string;
  countOwned(tokenName: string): Promise<number>;
  deleteOwned(tokenName: string): Promise<number>;
}

@Injectable()
export class TokenOwnershipRegistry {
  private readonly kinds: OwnedResourceKind[] = [];

  register(kind: OwnedResourceKind): void {
    this.kinds.push(kind);
  }

  async count(tokenName: string): Promise<Record<string, number>> {
    const counts = await Promise.all(this.kinds.map(async (k) => [k.kind, await k.countOwned(tokenName)] as const));
    return Object.fromEntries(counts);
  }

  /** Deletes in reverse registration order (dependents registered later go first). */
  async deleteAll(tokenName: string): Promise<Record<string, number>> {
    const deleted: Record<string, number> = {};
    for (const kind of [...this.kinds].reverse()) deleted[kind.kind] = await kind.deleteOwned(tokenName);
    return deleted;
  }
}
