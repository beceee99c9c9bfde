import { Injectable } from '@nestjs/common';
import { decodeRecord, encodeRecord, RedisConnections, RedisKeys } from '@app/redis';
import { ServiceLifecycleState, ServiceRecord } from './service.record';

/** Keys: `service:<name>` (JSON) and the `services` set of names. */
@Injectable()
export class ServicesRepository {
  constructor(
    private readonly redis: RedisConnections,
    private readonly keys: RedisKeys,
  ) {}

  private recordKey(name: string): string {
    return this.keys.key('service', name);
  }
  private get indexKey(): string {
    return this.keys.key('services');
  }

  /** Held while a service's container is made, proxied or torn down (one replica at a time). */
  lockKey(name: string): string {
    return this.keys.key('lock', 'service', name);
  }

  async find(name: string): Promise<ServiceRecord | null> {
    const key = this.recordKey(name);
    const raw = await this.redis.client.get(key);
    return raw === null ? null : withLifecycle(decodeRecord(ServiceRecord, key, raw));
  }

  async list(): Promise<ServiceRecord[]> {
    const names = (await this.redis.client.smembers(this.indexKey)).sort();
    if (names.length === 0) return [];
    const keys = names.map((n) => this.recordKey(n));
    const values = await this.redis.client.mget(...keys);
    return values.flatMap((raw, i) => (raw === null ? [] : [withLifecycle(decodeRecord(ServiceRecord, keys[i], raw))]));
  }

  /** Stores a new record; false when the name is taken. */
  async create(record: ServiceRecord): Promise<boolean> {
    const created = await this.redis.client.eval(
      `if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
       redis.call('SET', KEYS[1], ARGV[1])
       redis.call('SADD', KEYS[2], ARGV[2])
       return 1`,
      2,
      this.recordKey(record.name),
      this.indexKey,
      encodeRecord(record),
      record.name,
    );
    return created === 1;
  }

  /** Overwrites an existing record; false when it was deleted meanwhile. */
  async update(record: ServiceRecord): Promise<boolean> {
    return (await this.redis.client.set(this.recordKey(record.name), encodeRecord(record), 'XX')) === 'OK';
  }

  async delete(name: string): Promise<void> {
    await this.redis.client.multi().del(this.recordKey(name)).srem(this.indexKey, name).exec();
  }
}

/** A legacy record's lifecycle state: still creating, or ready (and proxied when it has a hostname). */
function legacyLifecycleState(record: ServiceRecord): ServiceLifecycleState {
  if (record.state === 'creating') return 'requested';
  if (record.proxy_hostname) return 'proxied';
  return 'started';
}

/** Records written before the workflow bus carry `state` (creating | ready) instead of `lifecycle`. */
function withLifecycle(record: ServiceRecord): ServiceRecord {
  if (!record.lifecycle) {
    record.lifecycle = { state: legacyLifecycleState(record), reason: null };
  }
  record.generation ||= `legacy-${record.created_at}`;
  delete record.state;
  return record;
}
