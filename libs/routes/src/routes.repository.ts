import { Injectable, Logger } from '@nestjs/common';
import { ConfigBus, decodeRecord, encodeRecord, RedisConnections, RedisKeys } from '@app/redis';
import { RouteRecord } from './route.record';

/** Keys: `route:<id>` (JSON), `routes` (set of ids), `route_seq` (creation counter). Writes go through the ConfigBus. */
@Injectable()
export class RoutesRepository {
  private readonly logger = new Logger(RoutesRepository.name);

  constructor(
    private readonly redis: RedisConnections,
    private readonly keys: RedisKeys,
    private readonly bus: ConfigBus,
  ) {}

  private recordKey(id: string): string {
    return this.keys.key('route', id);
  }
  private get indexKey(): string {
    return this.keys.key('routes');
  }

  /** The next creation sequence number (ties of equal priority are broken by it). */
  async nextSequence(): Promise<number> {
    return this.redis.client.incr(this.keys.key('route_seq'));
  }

  async find(id: string): Promise<RouteRecord | null> {
    const key = this.recordKey(id);
    const raw = await this.redis.client.get(key);
    return raw === null ? null : decodeRecord(RouteRecord, key, raw);
  }

  /** Every stored route; a corrupt record is logged and skipped so one bad value cannot stop the data path. */
  async list(): Promise<RouteRecord[]> {
    const ids = await this.redis.client.smembers(this.indexKey);
    if (ids.length === 0) return [];
    const keys = ids.map((id) => this.recordKey(id));
    const values = await this.redis.client.mget(...keys);
    return values.flatMap((raw, i) => {
      if (raw === null) return [];
      try {
        return [decodeRecord(RouteRecord, keys[i], raw)];
      } catch (error) {
        this.logger.error((error as Error).message);
        return [];
      }
    });
  }

  async create(record: RouteRecord): Promise<boolean> {
    const [[, set]] = await this.bus.commit((tx) => {
      tx.set(this.recordKey(record.route_id), encodeRecord(record), 'NX');
      tx.sadd(this.indexKey, record.route_id);
    });
    return set === 'OK';
  }

  async replace(record: RouteRecord): Promise<void> {
    await this.bus.commit((tx) => tx.set(this.recordKey(record.route_id), encodeRecord(record), 'XX'));
  }

  async delete(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.bus.commit((tx) => {
      tx.del(...ids.map((id) => this.recordKey(id)));
      tx.srem(this.indexKey, ...ids);
    });
  }
}
