import { Injectable } from '@nestjs/common';
import { addressSubject } from '@app/http';
import { decodeRecord, encodeRecord, RedisConnections, RedisKeys } from '@app/redis';
import { OAuthClientRecord } from './oauth-client.record';

/**
 * Keys: `oauth:client:<client_id>` (JSON; with a TTL while a dynamic client is unused),
 * `oauth:clients` (set of ids; entries whose record expired are pruned when listed),
 * `oauth:register-rate:<ip>` (registration counter, one-minute window).
 */
@Injectable()
export class ClientsRepository {
  constructor(
    private readonly redis: RedisConnections,
    private readonly keys: RedisKeys,
  ) {}

  private recordKey(id: string): string {
    return this.keys.key('oauth', 'client', id);
  }
  private get indexKey(): string {
    return this.keys.key('oauth', 'clients');
  }

  async find(id: string): Promise<OAuthClientRecord | null> {
    const key = this.recordKey(id);
    const raw = await this.redis.client.get(key);
    return raw === null ? null : decodeRecord(OAuthClientRecord, key, raw);
  }

  /** Stores the client; `ttlSeconds` makes it expire unless it is used (see markUsed). */
  async save(record: OAuthClientRecord, ttlSeconds?: number): Promise<void> {
    const tx = this.redis.client.multi();
    if (ttlSeconds) tx.set(this.recordKey(record.client_id), encodeRecord(record), 'EX', ttlSeconds);
    else tx.set(this.recordKey(record.client_id), encodeRecord(record));
    tx.sadd(this.indexKey, record.client_id);
    await tx.exec();
  }

  /** Replaces the record, keeping its remaining TTL. */
  async update(record: OAuthClientRecord): Promise<void> {
    await this.redis.client.set(this.recordKey(record.client_id), encodeRecord(record), 'KEEPTTL');
  }

  /** The first token makes a dynamic client permanent. */
  async markUsed(record: OAuthClientRecord): Promise<void> {
    if (record.used) return;
    await this.redis.client
      .multi()
      .set(this.recordKey(record.client_id), encodeRecord({ ...record, used: true }))
      .exec();
  }

  async delete(id: string): Promise<boolean> {
    const [[, removed]] = ((await this.redis.client.multi().del(this.recordKey(id)).srem(this.indexKey, id).exec()) ?? [
      [null, 0],
    ]) as [Error | null, number][];
    return removed === 1;
  }

  async list(): Promise<OAuthClientRecord[]> {
    const ids = (await this.redis.client.smembers(this.indexKey)).sort();
    if (ids.length === 0) return [];
    const keys = ids.map((id) => this.recordKey(id));
    const values = await this.redis.client.mget(...keys);
    const gone = ids.filter((_, i) => values[i] === null);
    if (gone.length > 0) await this.redis.client.srem(this.indexKey, ...gone);
    return values.flatMap((raw, i) => (raw === null ? [] : [decodeRecord(OAuthClientRecord, keys[i], raw)]));
  }

  /** Counts a registration from `ip` (an IPv6 client: its /64) in a one-minute window that starts with its first one. */
  async countRegistration(ip: string): Promise<number> {
    const key = this.keys.key('oauth', 'register-rate', addressSubject(ip));
    const results = ((await this.redis.client.multi().set(key, 0, 'EX', 60, 'NX').incr(key).exec()) ?? []) as [
      Error | null,
      unknown,
    ][];
    return Number(results[1]?.[1] ?? 0);
  }
}
