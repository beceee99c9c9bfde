import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { RedisConnections, RedisKeys } from '@app/redis';
import { decodeLogEntry, isErrorEntry, RequestLogEntry, statusClassOf, StoredLogEntry } from './request-log-entry';

const HOUR = 3_600_000;

/** Secondary indexes: one sorted set per (kind, value, hour) with member = stream id, score = ts. */
export type IndexKind = 'ip' | 'host' | 'user' | 'client' | 'status' | 'errors';

/**
 * Writes one batch atomically: each entry XADDed with an id of its own timestamp (clamped so ids
 * stay increasing across replicas), its index members ZADDed, index keys given an absolute expiry
 * (hour bucket end + retention) and recorded in the registry, then the stream trimmed by age.
 *
 * KEYS[1] stream, KEYS[2] registry, KEYS[3..] index keys.
 * ARGV[1] MAXLEN (~), ARGV[2] MINID (ms, ~), ARGV[3] registry TTL (ms),
 * ARGV[4] JSON [[ts, [index key positions]], ...], ARGV[5] JSON [[bucket start ms, expire-at ms], ...] per index key,
 * ARGV[6..] the entries' JSON, one argument each (not nested in ARGV[4]: that would JSON-escape
 * every entry a second time on the data path's event loop, and cjson-decode it again in Redis).
 */
const WRITE_BATCH = `
local entries = cjson.decode(ARGV[4])
local meta = cjson.decode(ARGV[5])
local floor = 0
local function lastms()
  local info = redis.call('XINFO', 'STREAM', KEYS[1])
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then return tonumber(string.match(info[i + 1], '^(%d+)')) end
  end
  return 0
end
local written = 0
for i, e in ipairs(entries) do
  local fields = ARGV[5 + i]
  local ms = tonumber(e[1])
  if ms < floor then ms = floor end
  local id = redis.pcall('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], string.format('%d-*', ms), 'e', fields)
  if type(id) == 'table' and id.err then
    ms = lastms()
    id = redis.pcall('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], string.format('%d-*', ms), 'e', fields)
    if type(id) == 'table' and id.err then id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', fields) end
  end
  floor = tonumber(string.match(id, '^(%d+)'))
  for _, k in ipairs(e[2]) do redis.call('ZADD', KEYS[k + 2], e[1], id) end
  written = written + 1
end
for j, m in ipairs(meta) do
  redis.call('PEXPIREAT', KEYS[j + 2], m[2])
  redis.call('ZADD', KEYS[2], m[1], KEYS[j + 2])
end
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('XTRIM', KEYS[1], 'MINID', '~', ARGV[2])
return written
`;

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

  /** The index keys an entry belongs to, as [kind, value]. */
  static indexesOf(entry: RequestLogEntry): [IndexKind, string][] {
    const out: [IndexKind, string][] = [
      ['ip', entry.client_ip],
      ['host', entry.host],
      ['status', statusClassOf(entry.status)],
    ];
    if (entry.auth_user) out.push(['user', entry.auth_user]);
    if (entry.oauth_client_id) out.push(['client', entry.oauth_client_id]);
    if (isErrorEntry(entry)) out.push(['errors', 'all']);
    return out;
  }

  /** Writes entries (already normalised, ts within retention) in one script call; returns how many were written. */
  async writeBatch(entries: RequestLogEntry[], now: number): Promise<number> {
    const retention = this.config.logRetentionMs;
    const keyPositions = new Map<string, number>();
    const keys: string[] = [];
    const meta: [number, number][] = [];
    const fields: string[] = [];
    const rows = entries.map((entry) => {
      const hour = Math.floor(entry.ts / HOUR);
      const positions = RequestLogStore.indexesOf(entry).map(([kind, value]) => {
        const key = this.indexKey(kind, value, hour);
        let position = keyPositions.get(key);
        if (position === undefined) {
          keys.push(key);
          meta.push([hour * HOUR, (hour + 1) * HOUR + retention]);
          position = keys.length;
          keyPositions.set(key, position);
        }
        return position;
      });
      fields.push(JSON.stringify(entry));
      return [String(entry.ts), positions];
    });
    const result = await this.redis.client.eval(
      WRITE_BATCH,
      keys.length + 2,
      this.streamKey,
      this.registryKey,
      ...keys,
      this.config.logMaxEntries,
      Math.max(0, now - retention),
      retention + 2 * HOUR,
      JSON.stringify(rows),
      JSON.stringify(meta),
      ...fields,
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
