import { Injectable } from '@nestjs/common';
import { Conflict, DomainError } from '@app/http';
import { CreateProxyTargetDto, ProxyTargetsService } from '@app/proxy-targets';
import { ADMIN_TOKEN_NAME, AuthContext } from '@app/tokens';

/** Acts as the service's owner (the admin token's name gets the admin context). */
function actingAs(owner: string): AuthContext {
  return new AuthContext(owner, owner === ADMIN_TOKEN_NAME);
}

/**
 * A service's proxy target: publish creates `<name>.<BASE_DOMAIN>` → `http://127.0.0.1:<port>`
 * owned by the service's owner (or points the owner's existing target there); unpublish deletes
 * it, optionally with its certificate. A hostname that another token owns is refused (409; 403 for
 * a caller who may not see it), never taken over.
 */
@Injectable()
export class ServiceProxyPublisher {
  constructor(private readonly targets: ProxyTargetsService) {}

  async publish(owner: string, hostname: string, targetUrl: string): Promise<void> {
    const auth = actingAs(owner);
    const existing = await this.targets.require(auth, hostname).catch((error: unknown) => {
      if (error instanceof DomainError && error.code === 'not_found') return null;
      throw error; // another token's hostname: 403
    });
    if (existing && existing.owner !== owner) {
      // Even the admin's services do not take over a hostname someone else configured.
      throw Conflict(
        `proxy target "${existing.hostname}" already exists and belongs to another token; delete it first or choose another service_name`,
      );
    }
    if (existing) await this.targets.update(auth, hostname, { target_url: targetUrl });
    else
      await this.targets.create(auth, Object.assign(new CreateProxyTargetDto(), { hostname, target_url: targetUrl }));
  }

  /** Removes the proxy target; with `deleteCertificate`, also its certificate. Already gone is fine. */
  async unpublish(hostname: string, options: { deleteCertificate: boolean }): Promise<void> {
    try {
      await this.targets.delete(actingAs(ADMIN_TOKEN_NAME), hostname, options.deleteCertificate);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'not_found') return; // already gone
      throw error;
    }
  }
}
