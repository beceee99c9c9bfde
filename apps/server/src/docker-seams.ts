import { Injectable } from '@nestjs/common';
import { ExternalServiceRecord, ExternalServiceRegistry, ServiceProxyPublisher } from '@app/docker';
import { Conflict, DomainError } from '@app/http';
import { InstancesService } from '@app/instances';
import { CreateProxyTargetDto, ProxyTargetsService } from '@app/proxy-targets';
import { ADMIN_TOKEN_NAME, AuthContext } from '@app/tokens';

/** Acts as the service's owner (the admin token's name gets the admin context). */
function actingAs(owner: string): AuthContext {
  return new AuthContext(owner, owner === ADMIN_TOKEN_NAME);
}

/**
 * The docker module's ServiceProxyPublisher on the proxy targets: publish creates
 * `<name>.<BASE_DOMAIN>` → `http://127.0.0.1:<port>` owned by the service's owner (or points the
 * owner's existing target there); unpublish deletes it, optionally with its certificate. A hostname
 * that another token owns is refused (409; 403 for a caller who may not see it), never taken over.
 */
@Injectable()
export class ProxyTargetsServicePublisher implements ServiceProxyPublisher {
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

  async unpublish(hostname: string, options: { deleteCertificate: boolean }): Promise<void> {
    try {
      await this.targets.delete(actingAs(ADMIN_TOKEN_NAME), hostname, options.deleteCertificate);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'not_found') return; // already gone
      throw error;
    }
  }
}

/** The docker module's external services live in the instances registry (`instance:<name>`, through the ConfigBus). */
@Injectable()
export class InstancesServiceRegistry implements ExternalServiceRegistry {
  constructor(private readonly instances: InstancesService) {}

  async find(name: string): Promise<ExternalServiceRecord | null> {
    const found = await this.instances.findStored(name);
    return found ? toRecord(found) : null;
  }

  async list(): Promise<ExternalServiceRecord[]> {
    return (await this.instances.listStored()).map(toRecord);
  }

  create(record: ExternalServiceRecord): Promise<boolean> {
    return this.instances.register(record.owner, {
      name: record.name,
      target_url: record.target_url,
      description: record.description,
      created_at: record.created_at,
    });
  }

  remove(name: string): Promise<void> {
    return this.instances.unregister(name);
  }
}

function toRecord(i: {
  name: string;
  target_url: string;
  description: string;
  owner: string;
  created_at: string | null;
}): ExternalServiceRecord {
  return {
    name: i.name,
    target_url: i.target_url,
    description: i.description || undefined,
    owner: i.owner,
    created_at: i.created_at ?? new Date(0).toISOString(),
  };
}
