import { Injectable } from '@nestjs/common';
import { ConfigBus, ConfiguredRecordStore, RedisConnections, RedisKeys } from '@app/redis';
import { RouteRecord } from './route.record';

/** Keys: `route:<id>` (JSON), `routes` (set of ids), `route_seq` (creation counter). Writes go through the ConfigBus. */
@Injectable()
export class RoutesRepository extends ConfiguredRecordStore<RouteRecord> {
  constructor(redis: RedisConnections, keys: RedisKeys, bus: ConfigBus) {
    super(redis, keys, bus, { record: RouteRecord, entity: 'route', index: 'routes', id: (r) => r.route_id });
  }

  /** The next creation sequence number (ties of equal priority are broken by it). */
  async nextSequence(): Promise<number> {
    return this.redis.client.incr(this.keys.key('route_seq'));
  }
}
