import { Injectable } from '@nestjs/common';
import { ConfigBus, ConfiguredRecordStore, RedisConnections, RedisKeys } from '@app/redis';
import { ProxyTargetRecord } from './proxy-target.record';

/** Keys: `proxy_target:<hostname>` (JSON) and `proxy_targets` (set of hostnames). Writes go through the ConfigBus. */
@Injectable()
export class ProxyTargetsRepository extends ConfiguredRecordStore<ProxyTargetRecord> {
  constructor(redis: RedisConnections, keys: RedisKeys, bus: ConfigBus) {
    super(redis, keys, bus, {
      record: ProxyTargetRecord,
      entity: 'proxy_target',
      index: 'proxy_targets',
      id: (r) => r.hostname,
    });
  }
}
