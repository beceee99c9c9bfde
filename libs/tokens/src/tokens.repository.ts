import { Injectable } from '@nestjs/common';
import { decodeRecord, encodeRecord, RedisConnections, RedisKeys } from '@app/redis';
import { hashApiToken } from './token-secrets';
import { TokenRecord } from './token.record';

/**
 * Keys: `token:<name>` (JSON record), `token:hash:<sha256>` (→ name), `tokens` (set of names).
 * Writes that touch several keys run as one Lua script so a failure never leaves half a token.
 */
@Injectable()
export class TokensRepository {
  constructor(
    private readonly redis: RedisConnections,
    private readonly keys: RedisKeys,
  ) {}

  private recordKey(name: string): string {
    return this.keys.key('token', name);
  }
  private hashKey(hash: string): string {
    return this.keys.key('token', 'hash', hash);
  }
  private get indexKey(): string {
    return this.keys.key('tokens');
  }

  async findByName(name: string): Promise<TokenRecord | null> {
    const key = this.recordKey(name);
    const raw = await this.redis.client.get(key);
    return raw === null ? null : decodeRecord(TokenRecord, key, raw);
  }

  async findByToken(token: string): Promise<TokenRecord | null> {
    const name = await this.redis.client.get(this.hashKey(hashApiToken(token)));
    if (name === null) return null;
    const record = await this.findByName(name);
    // A hash index left behind by an older value must not authenticate anyone.
    return record && record.token_hash === hashApiToken(token) ? record : null;
  }

  async list(): Promise<TokenRecord[]> {
    const names = (await this.redis.client.smembers(this.indexKey)).sort();
    if (names.length === 0) return [];
    const keys = names.map((n) => this.recordKey(n));
    const values = await this.redis.client.mget(...keys);
    return values.flatMap((raw, i) => (raw === null ? [] : [decodeRecord(TokenRecord, keys[i], raw)]));
  }

  /** Stores a new token; false when the name is taken. */
  async create(record: TokenRecord): Promise<boolean> {
    const created = await this.redis.client.eval(
      `if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
       redis.call('SET', KEYS[1], ARGV[1])
       redis.call('SET', KEYS[2], ARGV[2])
       redis.call('SADD', KEYS[3], ARGV[2])
       return 1`,
      3,
      this.recordKey(record.name),
      this.hashKey(record.token_hash),
      this.indexKey,
      encodeRecord(record),
      record.name,
    );
    return created === 1;
  }

  /** Replaces a record, moving the hash index when the secret changed. False if the token is gone. */
  async replace(previous: TokenRecord, next: TokenRecord): Promise<boolean> {
    const replaced = await this.redis.client.eval(
      `local current = redis.call('GET', KEYS[1])
       if not current then return 0 end
       if cjson.decode(current)['token_hash'] ~= ARGV[3] then return -1 end
       redis.call('SET', KEYS[1], ARGV[1])
       if KEYS[2] ~= KEYS[3] then
         redis.call('DEL', KEYS[2])
         redis.call('SET', KEYS[3], ARGV[2])
       end
       return 1`,
      3,
      this.recordKey(next.name),
      this.hashKey(previous.token_hash),
      this.hashKey(next.token_hash),
      encodeRecord(next),
      next.name,
      previous.token_hash,
    );
    if (replaced === -1) throw new Error(`token ${next.name} changed concurrently; retry`);
    return replaced === 1;
  }

  async delete(record: TokenRecord): Promise<void> {
    await this.redis.client
      .multi()
      .del(this.recordKey(record.name))
      .del(this.hashKey(record.token_hash))
      .srem(this.indexKey, record.name)
      .exec();
  }
}
