import { Injectable } from '@nestjs/common';
import { ConfigBus, ConfiguredRecordStore, RedisConnections, RedisKeys } from '@app/redis';
import { InstanceRecord } from './instance.record';

/** Keys: `instance:<name>` (JSON) and `instances` (set of names). Writes go through the ConfigBus. */
@Injectable()
export class InstancesRepository extends ConfiguredRecordStore<InstanceRecord> {
  constructor(redis: RedisConnections, keys: RedisKeys, bus: ConfigBus) {
    super(redis, keys, bus, { record: InstanceRecord, entity: 'instance', index: 'instances', id: (r) => r.name });
  }
}
