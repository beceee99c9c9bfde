import { Injectable } from '@nestjs/common';
import type { OwnedResourceKind } from '@app/tokens';
import { ProxyTargetsRepository } from './proxy-targets.repository';
import { ProxyTargetsService } from './proxy-targets.service';

/**
 * A token's proxy targets, for the token deletion cascade: deleted with `proxy.deleted` published
 * for each (the other modules clean up after it), their certificates kept for the cascade's own step.
 */
@Injectable()
export class ProxyTargetOwnership implements OwnedResourceKind {
  readonly kind = 'proxy_targets';

  constructor(
    private readonly repository: ProxyTargetsRepository,
    private readonly targets: ProxyTargetsService,
  ) {}

  async countOwned(token: string): Promise<number> {
    return (await this.repository.list()).filter((r) => r.owner === token).length;
  }

  async deleteOwned(token: string): Promise<number> {
    const owned = (await this.repository.list()).filter((r) => r.owner === token);
    await this.repository.delete(owned.map((r) => r.hostname));
    for (const record of owned) await this.targets.publishDeleted(record, false);
    return owned.length;
  }
}
