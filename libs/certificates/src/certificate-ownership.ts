import { Injectable } from '@nestjs/common';
import type { OwnedResourceKind } from '@app/tokens';
import { CertificatesRepository } from './certificates.repository';

/** A token's certificates, for the token deletion cascade. */
@Injectable()
export class CertificateOwnership implements OwnedResourceKind {
  readonly kind = 'certificates';

  constructor(private readonly repository: CertificatesRepository) {}

  async countOwned(token: string): Promise<number> {
    return (await this.repository.list()).filter((r) => r.owner === token).length;
  }

  async deleteOwned(token: string): Promise<number> {
    const owned = (await this.repository.list()).filter((r) => r.owner === token);
    for (const record of owned) await this.repository.delete(record.name);
    return owned.length;
  }
}
