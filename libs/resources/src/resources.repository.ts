import { Injectable, Logger } from '@nestjs/common';
import { ConfigBus, decodeRecord, encodeRecord, RedisConnections, RedisKeys } from '@app/redis';
import { ResourceRecord } from './resource.record';

/**
 * Keys: `resource:<id>` (JSON), `resources` (set of ids), `resource_uri:<uri>` → id (uniqueness).
 *
 * Writes go through the ConfigBus: every replica's in-memory catalog follows.
 */
/**
 * KEYS uri, record, index, uri to release (= KEYS[1] when none); ARGV id, json. Claims the URI for
 * the id unless another id holds it, then writes the record; all or nothing.
 */
const CLAIM_AND_SET = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[1])
if KEYS[4] ~= KEYS[1] then redis.call('DEL', KEYS[4]) end
return 1`;

@Injectable()
export class ResourcesRepository {
  private readonly logger = new Logger(ResourcesRepository.name);

  constructor(
    private readonly redis: RedisConnections,
    private readonly keys: RedisKeys,
    private readonly bus: ConfigBus,
  ) {}

  private recordKey(id: string): string {
    return this.keys.key('resource', id);
  }
  private uriKey(uri: string): string {
    return this.keys.key('resource_uri', uri);
  }
  private get indexKey(): string {
    return this.keys.key('resources');
  }

  async find(id: string): Promise<ResourceRecord | null> {
    const key = this.recordKey(id);
    const raw = await this.redis.client.get(key);
    return raw === null ? null : decodeRecord(ResourceRecord, key, raw);
  }

  async list(): Promise<ResourceRecord[]> {
    const ids = (await this.redis.client.smembers(this.indexKey)).sort();
    if (ids.length === 0) return [];
    const keys = ids.map((id) => this.recordKey(id));
    const values = await this.redis.client.mget(...keys);
    return values.flatMap((raw, i) => {
      if (raw === null) return [];
      try {
        return [decodeRecord(ResourceRecord, keys[i], raw)];
      } catch (error) {
        this.logger.error((error as Error).message);
        return [];
      }
    });
  }

  /** False when the URI is registered already. One script: the URI claim and the record land together or not at all. */
  async create(record: ResourceRecord): Promise<boolean> {
    const [[, created]] = await this.bus.commit((tx) => {
      tx.eval(
        CLAIM_AND_SET,
        4,
        this.uriKey(record.uri),
        this.recordKey(record.id),
        this.indexKey,
        this.uriKey(record.uri),
        record.id,
        encodeRecord(record),
      );
    });
    return created === 1;
  }

  /** Replaces a record; false when its (changed) URI is taken by another one. */
  async replace(previous: ResourceRecord, next: ResourceRecord): Promise<boolean> {
    const [[, replaced]] = await this.bus.commit((tx) => {
      tx.eval(
        CLAIM_AND_SET,
        4,
        this.uriKey(next.uri),
        this.recordKey(next.id),
        this.indexKey,
        this.uriKey(previous.uri),
        next.id,
        encodeRecord(next),
      );
    });
    return replaced === 1;
  }

  async delete(records: ResourceRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.bus.commit((tx) => {
      tx.del(...records.map((r) => this.recordKey(r.id)), ...records.map((r) => this.uriKey(r.uri)));
      tx.srem(this.indexKey, ...records.map((r) => r.id));
    });
  }
}
