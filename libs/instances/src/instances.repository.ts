import { Injectable, Logger } from '@nestjs/common';
import { ConfigBus, decodeRecord, encodeRecord, RedisConnections, RedisKeys } from '@app/redis';
import { InstanceRecord } from './instance.record';

/** Keys: `instance:<name>` (JSON) and `instances` (set of names). Writes go through the ConfigBus. */
@Injectable()
export class InstancesRepository {
  private readonly logger = new Logger(InstancesRepository.name);

  constructor(
    private readonly redis: RedisConnections,
    private readonly keys: RedisKeys,
    private readonly bus: ConfigBus,
  ) {}

  private recordKey(name: string): string {
    return this.keys.key('instance', name);
  }
  private get indexKey(): string {
    return this.keys.key('instances');
  }

  async find(name: string): Promise<InstanceRecord | null> {
    const key = this.recordKey(name);
    const raw = await this.redis.client.get(key);
    return raw === null ? null : decodeRecord(InstanceRecord, key, raw);
  }

  /** Every stored instance; a corrupt record is logged and skipped so one bad value cannot stop the data path. */
  async list(): Promise<InstanceRecord[]> {
    const names = (await this.redis.client.smembers(this.indexKey)).sort();
    if (names.length === 0) return [];
    const keys = names.map((n) => this.recordKey(n));
    const values = await this.redis.client.mget(...keys);
    return values.flatMap((raw, i) => {
      if (raw === null) return [];
      try {
        return [decodeRecord(InstanceRecord, keys[i], raw)];
      } catch (error) {
        this.logger.error((error as Error).message);
        return [];
      }
    });
  }

  /** False when the name is taken. */
  async create(record: InstanceRecord): Promise<boolean> {
    const [[, set]] = await this.bus.commit((tx) => {
      tx.set(this.recordKey(record.name), encodeRecord(record), 'NX');
      tx.sadd(this.indexKey, record.name);
    });
    return set === 'OK';
  }

  async replace(record: InstanceRecord): Promise<void> {
    await this.bus.commit((tx) => tx.set(this.recordKey(record.name), encodeRecord(record), 'XX'));
  }

  async delete(names: string[]): Promise<void> {
    if (names.length === 0) return;
    await this.bus.commit((tx) => {
      tx.del(...names.map((n) => this.recordKey(n)));
      tx.srem(this.indexKey, ...names);
    });
  }
}
