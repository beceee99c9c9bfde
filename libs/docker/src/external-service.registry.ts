import { Injectable } from '@nestjs/common';
import { InstancesService } from '@app/instances';

/** An external service: a name for a URL that is not a managed container. */
export interface ExternalServiceRecord {
  name: string;
  target_url: string;
  description?: string;
  owner: string;
  created_at: string;
}

/**
 * Where external services live: the instances registry (`instance:<name>`, written through the
 * ConfigBus by InstancesService), so routes can target them by name at once.
 */
@Injectable()
export class ExternalServiceRegistry {
  constructor(private readonly instances: InstancesService) {}

  async find(name: string): Promise<ExternalServiceRecord | null> {
    const found = await this.instances.findStored(name);
    return found ? toRecord(found) : null;
  }

  async list(): Promise<ExternalServiceRecord[]> {
    return (await this.instances.listStored()).map(toRecord);
  }

  /** False when the name is taken. */
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
