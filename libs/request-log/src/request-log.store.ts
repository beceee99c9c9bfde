import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { RedisConnections, RedisKeys } from '@app/redis';
import { decodeLogEntry, isErrorEntry, RequestLogEntry, statusClassOf, StoredLogEntry } from './request-log-entry';

const HOUR = 3_600_000;

/** Secondary indexes: one sorted set per (kind, value, hour) with member = stream id, score = ts. */
export type IndexKind = 'ip' | 'host' | 'user' | 'client' | 'status' | 'errors';

/** Receives an entry's index memberships, one call per index (see `RequestLogStore.forEachIndex`). */
export interface IndexVisitor {
  index(kind: IndexKind, value: string): void;
}

/**
 * Writes one batch atomically: each entry XADDed with an id of its own timestamp (clamped so ids
 * stay increasing across replicas and within the batch), then ONE `ZADD key s1 id1 s2 id2 ...` per
 * index key with all of the batch's members of that key, each index key given an absolute expiry
 * (hour bucket end + retention) and recorded in the registry (one ZADD for all of them), then the
 * stream trimmed by length and by age (once per batch: the script is atomic, so no reader ever sees
 * the stream longer than without the per-XADD MAXLEN it replaces).
 *
 * KEYS[1] stream, KEYS[2] registry, KEYS[3..] index keys.
 * ARGV[1] MAXLEN (~), ARGV[2] MINID (ms, ~), ARGV[3] registry TTL (ms),
 * ARGV[4] JSON, per index key in KEYS order: [bucket start ms, expire-at ms, entry number, entry number, ...]
 *   (entry numbers from 1, in batch order),
 * ARGV[5], ARGV[6]: the first entry's ts (ms, decimal) and JSON; ARGV[7], ARGV[8]: the second's... (the
 * entries are arguments of their own, not nested in ARGV[4]: that would JSON-escape every entry a
 * second time on the data path's event loop, and cjson-decode it again in Redis).
 */
const WRITE_BATCH = `
local function lastms()
  local info = redis.call('XINFO', 'STREAM', KEYS[1])
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then return string.match(info[i + 1], '^(%d+)') end
  end
  return '0'
end
local floor, floortext = 0, '0'
local ids = {}
local written = 0
for i = 5, #ARGV, 2 do
  local text = ARGV[i]
  local ms = tonumber(text)
  if ms < floor then ms, text = floor, floortext end
  local id = redis.pcall('XADD', KEYS[1], text .. '-*', 'e', ARGV[i + 1])
  if type(id) == 'table' then
    -- Older than the stream's newest entry (another replica's, or the previous batch's): at its time.
    text = lastms()
    id = redis.pcall('XADD', KEYS[1], text .. '-*', 'e', ARGV[i + 1])
    if type(id) == 'table' then
      id = redis.call('XADD', KEYS[1], '*', 'e', ARGV[i + 1])
      text = string.match(id, '^(%d+)')
    end
    ms = tonumber(text)
  end
  floor, floortext = ms, text
  written = written + 1
  ids[written] = id
end
-- unpack() has a stack limit (a few thousand values): ZADD in slices of 1000 members.
local function zadd(key, args)
  for i = 1, #args, 2000 do redis.call('ZADD', key, unpack(args, i, math.min(i + 1999, #args))) end
end
local groups = cjson.decode(ARGV[4])
local registry = {}
for j, g in ipairs(groups) do
  local key = KEYS[j + 2]
  local members = {}
  for k = 3, #g do
    local e = g[k]
    members[2 * k - 5] = ARGV[3 + 2 * e]
    members[2 * k - 4] = ids[e]
  end
  zadd(key, members)
  redis.call('PEXPIREAT', key, g[2])
  registry[2 * j - 1] = g[1]
  registry[2 * j] = key
end
zadd(KEYS[2], registry)
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('XTRIM', KEYS[1], 'MAXLEN', '~', ARGV[1])
redis.call('XTRIM', KEYS[1], 'MINID', '~', ARGV[2])
return written
`;

/**
 * The index keys of one batch and, per key, `[bucket start, expire-at, entry numbers...]` (ARGV[4]
 * of WRITE_BATCH). Keys are looked up hour → kind → value in nested maps: no key string is built
 * for an index a batch already has (one per distinct key, not one per entry and index).
 */
class BatchIndexes implements IndexVisitor {
  readonly keys: string[] = [];
  readonly groups: number[][] = [];
  private readonly byHour = new Map<number, Map<IndexKind, Map<string, number[]>>>();
  private byKind!: Map<IndexKind, Map<string, number[]>>;
  private hour = 0;
  private entryNumber = 0;

  constructor(
    private readonly store: RequestLogStore,
    private readonly retentionMs: number,
  ) {}

  /** The next entry (numbered from 1) is in this hour bucket. */
  next(hour: number): void {
    this.entryNumber += 1;
    if (this.byKind !== undefined && hour === this.hour) return;
    this.hour = hour;
    let byKind = this.byHour.get(hour);
    if (byKind === undefined) {
      byKind = new Map();
      this.byHour.set(hour, byKind);
    }
    this.byKind = byKind;
  }

  index(kind: IndexKind, value: string): void {
    let byValue = this.byKind.get(kind);
    if (byValue === undefined) {
      byValue = new Map();
      this.byKind.set(kind, byValue);
    }
    let group = byValue.get(value);
    if (group === undefined) {
      group = [this.hour * HOUR, (this.hour + 1) * HOUR + this.retentionMs];
      byValue.set(value, group);
      this.keys.push(this.store.indexKey(kind, value, this.hour));
      this.groups.push(group);
    }
    group.push(this.entryNumber);
  }
}

export interface IndexedId {
  id: string;
  ts: number;
}

/** The request log in Redis: a stream of entries plus hourly index sorted sets, all under the key prefix. */
@Injectable()
export class RequestLogStore {
  private readonly logger = new Logger(RequestLogStore.name);
  readonly streamKey: string;
  readonly registryKey: string;

  constructor(
    private readonly redis: RedisConnections,
    private readonly keys: RedisKeys,
    private readonly config: AppConfig,
  ) {
    this.streamKey = keys.key('reqlog', 'stream');
    this.registryKey = keys.key('reqlog', 'indexes');
  }

  indexKey(kind: IndexKind, value: string, hour: number): string {
    return this.keys.key('reqlog', 'idx', kind, value, hour);
  }

  /** The indexes an entry belongs to: `visitor.index(kind, value)` for each (no array per entry). */
  static forEachIndex(entry: RequestLogEntry, visitor: IndexVisitor): void {
    visitor.index('ip', entry.client_ip);
    visitor.index('host', entry.host);
    visitor.index('status', statusClassOf(entry.status));
    if (entry.auth_user) visitor.index('user', entry.auth_user);
    if (entry.oauth_client_id) visitor.index('client', entry.oauth_client_id);
    if (isErrorEntry(entry)) visitor.index('errors', 'all');
  }

  /** The index keys an entry belongs to, as [kind, value]. */
  static indexesOf(entry: RequestLogEntry): [IndexKind, string][] {
    const out: [IndexKind, string][] = [];
    RequestLogStore.forEachIndex(entry, { index: (kind, value) => out.push([kind, value]) });
    return out;
  }

  /** Writes entries (already normalised, ts within retention) in one script call; returns how many were written. */
  async writeBatch(entries: RequestLogEntry[], now: number): Promise<number> {
    const retention = this.config.logRetentionMs;
    const indexes = new BatchIndexes(this, retention);
    const args: (string | number)[] = [];
    for (const entry of entries) {
      indexes.next(Math.floor(entry.ts / HOUR));
      RequestLogStore.forEachIndex(entry, indexes);
      args.push(String(entry.ts), JSON.stringify(entry));
    }
    const result = await this.redis.client.eval(
      WRITE_BATCH,
      indexes.keys.length + 2,
      this.streamKey,
      this.registryKey,
      ...indexes.keys,
      this.config.logMaxEntries,
      Math.max(0, now - retention),
      retention + 2 * HOUR,
      JSON.stringify(indexes.groups),
      ...args,
    );
    return Number(result);
  }

  /** Entries with ids in [sinceMs, untilMs] (untilMs null: up to the newest), newest first, page by page. */
  async *newestFirst(sinceMs: number, untilMs: number | null, pageSize = 500): AsyncGenerator<StoredLogEntry[]> {
    let end = untilMs === null ? '+' : `${untilMs}-18446744073709551615`;
    for (;;) {
      const page = (await this.redis.client.xrevrange(this.streamKey, end, `${sinceMs}-0`, 'COUNT', pageSize)) as [string, string[]][];
      if (page.length === 0) return;
      yield this.decode(page);
      if (page.length < pageSize) return;
      end = `(${page[page.length - 1][0]}`;
    }
  }

  /** Entries after `afterId` (exclusive), oldest first. */
  async after(afterId: string, count: number): Promise<StoredLogEntry[]> {
    const page = (await this.redis.client.xrange(this.streamKey, `(${afterId}`, '+', 'COUNT', count)) as [string, string[]][];
    return this.decode(page);
  }

  /** Id of the newest entry, or `0-0` for an empty log. */
  async lastId(): Promise<string> {
    const page = (await this.redis.client.xrevrange(this.streamKey, '+', '-', 'COUNT', 1)) as [string, string[]][];
    return page[0]?.[0] ?? '0-0';
  }

  /** Entries by id, in the given order; ids already trimmed away are skipped. */
  async fetch(ids: string[]): Promise<StoredLogEntry[]> {
    const out: StoredLogEntry[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const pipeline = this.redis.client.pipeline();
      for (const id of ids.slice(i, i + 500)) pipeline.xrange(this.streamKey, id, id);
      const results = (await pipeline.exec()) ?? [];
      for (const [error, page] of results) {
        if (error) throw error;
        out.push(...this.decode(page as [string, string[]][]));
      }
    }
    return out;
  }

  /**
   * Ids in one index between two times, newest first, one hour bucket at a time (buckets split by
   * `ts`, so bucket order is time order); at most `limit` in all.
   */
  async *indexIds(kind: IndexKind, value: string, sinceMs: number, untilMs: number, limit: number): AsyncGenerator<IndexedId[]> {
    let left = limit;
    for (let hour = Math.floor(untilMs / HOUR); hour >= Math.floor(sinceMs / HOUR) && left > 0; hour--) {
      const flat = await this.redis.client.zrevrangebyscore(this.indexKey(kind, value, hour), untilMs, sinceMs, 'WITHSCORES', 'LIMIT', 0, left);
      const ids: IndexedId[] = [];
      for (let i = 0; i < flat.length; i += 2) ids.push({ id: flat[i], ts: Number(flat[i + 1]) });
      left -= ids.length;
      if (ids.length > 0) yield ids;
    }
  }

  /** Removes entries older than `cutoffMs` from the stream (exactly) and from every index. */
  async sweep(cutoffMs: number): Promise<{ entries: number; index_keys: number }> {
    const client = this.redis.client;
    const entries = Number(await client.xtrim(this.streamKey, 'MINID', cutoffMs));
    const cutoffHour = Math.floor(cutoffMs / HOUR) * HOUR;
    // Buckets that ended before the cutoff go whole; the bucket holding the cutoff loses its older members.
    const expired = await client.zrangebyscore(this.registryKey, '-inf', `(${cutoffHour}`);
    const straddling = await client.zrangebyscore(this.registryKey, cutoffHour, cutoffHour);
    const tx = client.multi();
    if (expired.length > 0) {
      tx.del(...expired);
      tx.zrem(this.registryKey, ...expired);
    }
    for (const key of straddling) tx.zremrangebyscore(key, '-inf', `(${cutoffMs}`);
    await tx.exec();
    return { entries, index_keys: expired.length };
  }

  /** Deletes the whole request log; returns how many entries it held. */
  async clear(): Promise<number> {
    const client = this.redis.client;
    const length = await client.xlen(this.streamKey);
    const indexKeys = await client.zrange(this.registryKey, 0, -1);
    const tx = client.multi();
    for (let i = 0; i < indexKeys.length; i += 500) tx.del(...indexKeys.slice(i, i + 500));
    tx.del(this.streamKey, this.registryKey);
    await tx.exec();
    return length;
  }

  async length(): Promise<number> {
    return this.redis.client.xlen(this.streamKey);
  }

  private decode(page: [string, string[]][]): StoredLogEntry[] {
    const out: StoredLogEntry[] = [];
    for (const [id, fields] of page) {
      const entry = decodeLogEntry(id, fields[fields.indexOf('e') + 1] ?? '');
      if (entry) out.push(entry);
      else this.logger.warn(`request-log entry ${this.streamKey} ${id} is malformed; skipped`);
    }
    return out;
  }
}

/** Orders stream ids `<ms>-<seq>` numerically. */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am - bm || as - bs;
}
