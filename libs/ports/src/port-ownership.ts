import { Injectable } from '@nestjs/common';
import type { OwnedResourceKind } from '@app/tokens';
import { PortsRepository } from './ports.repository';

/**
 * A token's free-standing port reservations, for the token deletion cascade. Ports of a service go
 * with their service.
 */
@Injectable()
export class PortOwnership implements OwnedResourceKind {
  readonly kind = 'ports';

  constructor(private readonly ports: PortsRepository) {}

  async countOwned(owner: string): Promise<number> {
    return (await this.ports.list()).filter((p) => p.owner === owner && !p.service).length;
  }

  async deleteOwned(owner: string): Promise<number> {
    return this.ports.release(
      (await this.ports.list()).filter((p) => p.owner === owner && !p.service).map((p) => p.port),
    );
  }
}
