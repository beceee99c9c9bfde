import { Logger } from '@nestjs/common';
import type { ClassConstructor } from 'class-transformer';
import { ConfigBus } from './config-bus';
import { decodeRecord, encodeRecord } from './record-codec';
import { RedisConnections } from './redis-connections';
import { RedisKeys } from './redis-keys';

export interface RecordStoreShape<T> {
  /** Record class, validated on every read. */
  record: ClassConstructor<T>;
  /** Key of one record: `<entity>:<id>`. */
  entity: string;
  /** Set of all ids. */
  index: string;
  id: (record: T) => string;
}

/**
 * Configuration records the data path caches in memory (proxy targets, routes, instances):
 * `<entity>:<id>` JSON values plus an `<index>` set, every write through the ConfigBus so all
 * replicas rebuild. `list()` reuses records whose stored JSON is unchanged since the last call:
 * replicas rebuild from it on every change, and re-validating 10000 unchanged records costs ~1 s.
 */
export abstract class ConfiguredRecordStore<T extends object> {
  private readonly logger: Logger;
  private decoded = new Map<string, { raw: string; record: T }>();

  protected constructor(
    protected readonly redis: RedisConnections,
    protected readonly keys: RedisKeys,
    protected readonly bus: ConfigBus,
    private readonly shape: RecordStoreShape<T>,
  ) {
    this.logger = new Logger(new.target.name);
  }

  protected recordKey(id: string): string {
    return this.keys.key(this.shape.entity, id);
  }
  private get indexKey(): string {
    return this.keys.key(this.shape.index);
  }

  async find(id: string): Promise<T | null> {
    const key = this.recordKey(id);
    const raw = await this.redis.client.get(key);
    return raw === null ? null : decodeRecord(this.shape.record, key, raw);
  }

  /** Every stored record; a corrupt one is logged and skipped so one bad value cannot stop the data path. */
  async list(): Promise<T[]> {
    const ids = (await this.redis.client.smembers(this.indexKey)).sort();
    if (ids.length === 0) return [];
    const keys = ids.map((id) => this.recordKey(id));
    const values = await this.redis.client.mget(...keys);
    const previous = this.decoded;
    const decoded = new Map<string, { raw: string; record: T }>();
    const records = values.flatMap((raw, i) => {
      if (raw === null) return [];
      const known = previous.get(keys[i]);
      if (known && known.raw === raw) {
        decoded.set(keys[i], known);
        return [known.record];
      }
      try {
        const record = decodeRecord(this.shape.record, keys[i], raw);
        decoded.set(keys[i], { raw, record });
        return [record];
      } catch (error) {
        this.logger.error((error as Error).message);
        return [];
      }
    });
    this.decoded = decoded;
    return records;
  }

  /** False when the id is taken. */
  async create(record: T): Promise<boolean> {
    const id = this.shape.id(record);
    const [[, set]] = await this.bus.commit((tx) => {
      tx.set(this.recordKey(id), encodeRecord(record), 'NX');
      tx.sadd(this.indexKey, id);
    });
    return set === 'OK';
  }

  async replace(record: T): Promise<void> {
    await this.bus.commit((tx) => tx.set(this.recordKey(this.shape.id(record)), encodeRecord(record), 'XX'));
  }

  async delete(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.bus.commit((tx) => {
      tx.del(...ids.map((id) => this.recordKey(id)));
      tx.srem(this.indexKey, ...ids);
    });
  }
}
