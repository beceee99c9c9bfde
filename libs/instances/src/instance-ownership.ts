import { Injectable } from '@nestjs/common';
import type { OwnedResourceKind } from '@app/tokens';
import { InstancesRepository } from './instances.repository';

/** A token's instances (external services included: they are instances), for the token deletion cascade. */
@Injectable()
export class InstanceOwnership implements OwnedResourceKind {
  readonly kind = 'instances';

  constructor(private readonly repository: InstancesRepository) {}

  async countOwned(token: string): Promise<number> {
    return (await this.repository.list()).filter((r) => r.owner === token).length;
  }

  async deleteOwned(token: string): Promise<number> {
    const owned = (await this.repository.list()).filter((r) => r.owner === token).map((r) => r.name);
    await this.repository.delete(owned);
    return owned.length;
  }
}
