import { Injectable } from '@nestjs/common';
import type { OwnedResourceKind } from '@app/tokens';
import { ServiceTeardown } from './service-teardown';
import { ServicesRepository } from './services.repository';

/** A token's Docker services, for the token deletion cascade: each torn down with its proxy target, its certificate kept. */
@Injectable()
export class ServiceOwnership implements OwnedResourceKind {
  readonly kind = 'services';

  constructor(
    private readonly repository: ServicesRepository,
    private readonly teardown: ServiceTeardown,
  ) {}

  async countOwned(owner: string): Promise<number> {
    return (await this.repository.list()).filter((s) => s.owner === owner).length;
  }

  async deleteOwned(owner: string): Promise<number> {
    const owned = (await this.repository.list()).filter((s) => s.owner === owner);
    for (const record of owned) await this.teardown.destroy(record, { deleteProxy: true, deleteCertificate: false });
    return owned.length;
  }
}
