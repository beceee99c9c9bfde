import { Injectable } from '@nestjs/common';
import { decodeRecord, encodeRecord, RedisConnections, RedisKeys } from '@app/redis';
import { restoreEmptyArrays } from '../protocol/lua-json';
import { GrantRecord } from './grant.record';

/** At most this many refresh tokens of one family are valid at once (concurrent refreshes). */
const MAX_ACTIVE = 8;

export type RotationResult =
  { outcome: 'rotated'; grant: GrantRecord } | { outcome: 'reused'; grant: GrantRecord } | { outcome: 'missing' };

/**
 * Keys: `oauth:grant:<family>` (JSON, TTL = refresh lifetime, extended on rotation),
 * `oauth:refresh:<sha256>` → family (every token of the family, so a replay of an old one is
 * recognised), and the indexes `oauth:grants`, `oauth:user-grants:<login>`, `oauth:client-grants:<id>`
 * (sets; entries of expired grants are pruned when read).
 */
@Injectable()
export class GrantsRepository {
  constructor(
    private readonly redis: RedisConnections,
    private readonly keys: RedisKeys,
  ) {}

  private grantKey(family: string): string {
    return this.keys.key('oauth', 'grant', family);
  }
  refreshKey(hash: string): string {
    return this.keys.key('oauth', 'refresh', hash);
  }
  private indexKeys(grant: Pick<GrantRecord, 'user' | 'client_id'>): string[] {
    return [
      this.keys.key('oauth', 'grants'),
      this.keys.key('oauth', 'user-grants', grant.user.login.toLowerCase()),
      this.keys.key('oauth', 'client-grants', grant.client_id),
    ];
  }

  /** The index set a list reads: by user login first, else by client, else all grants. */
  private listIndexKey(filter: { user?: string; client_id?: string }): string {
    if (filter.user) return this.keys.key('oauth', 'user-grants', filter.user.toLowerCase());
    if (filter.client_id) return this.keys.key('oauth', 'client-grants', filter.client_id);
    return this.keys.key('oauth', 'grants');
  }

  async create(grant: GrantRecord, refreshHash: string | undefined, ttl: number): Promise<void> {
    const tx = this.redis.client.multi().set(this.grantKey(grant.family_id), encodeRecord(grant), 'EX', ttl);
    if (refreshHash) tx.set(this.refreshKey(refreshHash), grant.family_id, 'EX', ttl);
    for (const index of this.indexKeys(grant)) tx.sadd(index, grant.family_id);
    await tx.exec();
  }

  async find(family: string): Promise<GrantRecord | null> {
    const key = this.grantKey(family);
    const raw = await this.redis.client.get(key);
    return raw === null ? null : decode(key, raw);
  }

  familyOfRefresh(hash: string): Promise<string | null> {
    return this.redis.client.get(this.refreshKey(hash));
  }

  /**
   * Rotation, atomically: a current token (or a rotated one within its grace) yields a new current
   * token and the access token's jti is recorded; a current token used demotes all current tokens
   * to the grace period. Any other token of the family is a replay: the caller revokes the family.
   */
  async rotate(
    family: string,
    presented: string,
    next: string,
    jti: string,
    exp: number,
    graceMs: number,
    ttl: number,
  ): Promise<RotationResult> {
    const key = this.grantKey(family);
    const result = (await this.redis.client.eval(
      `local raw = redis.call('GET', KEYS[1])
       if not raw then return {'missing'} end
       local g = cjson.decode(raw)
       local now = tonumber(ARGV[3])
       local untilMs = g.active[ARGV[1]]
       if untilMs == nil or (untilMs ~= 0 and untilMs <= now) then return {'reused', raw} end
       if untilMs == 0 then
         for k, v in pairs(g.active) do if v == 0 then g.active[k] = now + tonumber(ARGV[4]) end end
       end
       local count = 0
       for k, v in pairs(g.active) do
         if v ~= 0 and v <= now then g.active[k] = nil else count = count + 1 end
       end
       if count >= tonumber(ARGV[9]) then
         local oldest, oldestValue = nil, nil
         for k, v in pairs(g.active) do if v ~= 0 and (oldestValue == nil or v < oldestValue) then oldest, oldestValue = k, v end end
         if oldest then g.active[oldest] = nil end
       end
       g.active[ARGV[2]] = 0
       local nowS = math.floor(now / 1000)
       for k, v in pairs(g.access) do if v < nowS then g.access[k] = nil end end
       g.access[ARGV[6]] = tonumber(ARGV[7])
       g.refreshed_at = now
       local encoded = cjson.encode(g)
       redis.call('SET', KEYS[1], encoded, 'EX', ARGV[5])
       redis.call('SET', KEYS[2], ARGV[8], 'EX', ARGV[5])
       return {'rotated', encoded}`,
      2,
      key,
      this.refreshKey(next),
      presented,
      next,
      Date.now(),
      graceMs,
      ttl,
      jti,
      exp,
      family,
      MAX_ACTIVE,
    )) as [string, string?];
    if (result[0] === 'missing') return { outcome: 'missing' };
    const grant = decode(key, result[1]!);
    return result[0] === 'rotated' ? { outcome: 'rotated', grant } : { outcome: 'reused', grant };
  }

  /** Deletes the grant (its refresh tokens stop working); returns it so its access tokens can be revoked. */
  async delete(family: string): Promise<GrantRecord | null> {
    const key = this.grantKey(family);
    const raw = await this.redis.client.getdel(key);
    if (raw === null) return null;
    const grant = decode(key, raw);
    const tx = this.redis.client.multi();
    for (const hash of Object.keys(grant.active)) tx.del(this.refreshKey(hash));
    for (const index of this.indexKeys(grant)) tx.srem(index, family);
    await tx.exec();
    return grant;
  }

  /** Grants, all or by user login or by client; stale index entries are pruned. */
  async list(filter: { user?: string; client_id?: string } = {}): Promise<GrantRecord[]> {
    const index = this.listIndexKey(filter);
    const ids = await this.redis.client.smembers(index);
    if (ids.length === 0) return [];
    const keys = ids.map((id) => this.grantKey(id));
    const values = await this.redis.client.mget(...keys);
    const gone = ids.filter((_, i) => values[i] === null);
    if (gone.length > 0) await this.redis.client.srem(index, ...gone);
    const grants = values.flatMap((raw, i) => (raw === null ? [] : [decode(keys[i], raw)]));
    return grants.filter(
      (g) =>
        (!filter.client_id || g.client_id === filter.client_id) &&
        (!filter.user || g.user.login.toLowerCase() === filter.user.toLowerCase()),
    );
  }
}

function decode(key: string, raw: string): GrantRecord {
  return decodeRecord(GrantRecord, key, restoreEmptyArrays(raw, ['scopes', 'resources']));
}
