import { Injectable } from '@nestjs/common';
import type { OwnedResourceKind } from '@app/tokens';
import { RoutesRepository } from './routes.repository';

/** A token's routes, for the token deletion cascade. */
@Injectable()
export class RouteOwnership implements OwnedResourceKind {
  readonly kind = 'routes';

  constructor(private readonly repository: RoutesRepository) {}

  async countOwned(token: string): Promise<number> {
    return (await this.repository.list()).filter((r) => r.owner === token).length;
  }

  async deleteOwned(token: string): Promise<number> {
    const owned = (await this.repository.list()).filter((r) => r.owner === token).map((r) => r.route_id);
    await this.repository.delete(owned);
    return owned.length;
  }
}
