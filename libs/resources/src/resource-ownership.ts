import { Injectable } from '@nestjs/common';
import type { OwnedResourceKind } from '@app/tokens';
import { ResourcesRepository } from './resources.repository';

/** A token's registered MCP resources, for the token deletion cascade. */
@Injectable()
export class ResourceOwnership implements OwnedResourceKind {
  readonly kind = 'resources';

  constructor(private readonly repository: ResourcesRepository) {}

  async countOwned(token: string): Promise<number> {
    return (await this.repository.list()).filter((r) => r.owner === token).length;
  }

  async deleteOwned(token: string): Promise<number> {
    const owned = (await this.repository.list()).filter((r) => r.owner === token);
    await this.repository.delete(owned);
    return owned.length;
  }
}
