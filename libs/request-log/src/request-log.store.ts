import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { RedisConnections, RedisKeys } from '@app/redis';
import { decodeLogEntry, isErrorEntry, RequestLogEntry, statusClassOf, StoredLogEntry } from './request-log-entry';

const HOUR = 3_600_000;
/**
 * Entries of one index key that one batch wrote at most this many stream positions apart share one
 * index member, a run: reading a run reads at most twice the entries it indexes.
 */
const RUN_GAP = 2;
/** A run's entries arrived within this span; its score is the earliest `ts` (queries widen their lower bound by it). */
export const RUN_SPAN_MS = 1_000;
/** Most entries `indexedEntries` holds back for ordering (beyond, it releases them as they are). */
const MAX_HELD = 20_000;
/** A run member is `<first id>/<last id>`, the stream range its entries lie in. */
const RUN_SEPARATOR = '/';

/**
 * Secondary indexes: one sorted set per (kind, value, hour), score = `ts`. A member is a stream id,
 * or a run `<first id>/<last id>` of entries of that key written close together by one batch (one
 * member for a busy host, IP or user instead of one per request: the indexes' Redis CPU and memory).
 */
export type IndexKind = 'ip' | 'host' | 'user' | 'client' | 'status' | 'errors';

/** Receives an entry's index memberships, one call per index (see `RequestLogStore.forEachIndex`). */
export interface IndexVisitor {
  index(kind: IndexKind, value: string): void;
}

/**
 * Writes one batch atomically: each entry XADDed with an id of its own timestamp (clamped so ids
 * stay increasing across replicas and within the batch), then ONE `ZADD key s1 m1 s2 m2 ...` per
 * index key with all of the batch's members of that key (single ids and runs: the script's XADDs
 * are consecutive in the stream, so a run's range holds only this batch's entries), each index key given an absolute expiry
 * (hour bucket end + retention) and recorded in the registry (one ZADD for all of them), then the
 * stream trimmed by length and by age (once per batch: the script is atomic, so no reader ever sees
 * the stream longer than without the per-XADD MAXLEN it replaces).
 *
 * KEYS[1] stream, KEYS[2] registry, KEYS[3..] index keys.
 * ARGV[1] MAXLEN (~), ARGV[2] MINID (ms, ~), ARGV[3] registry TTL (ms),
 * ARGV[4] JSON, per index key in KEYS order: [bucket start ms, expire-at ms, member, member, ...]
 *   where a member is an entry number (from 1, in batch order) or a run `-first, last, earliest`
 *   (entry numbers: the run's first and last entry and the one whose ts is its score),
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
  local k, n = 3, 0
  while k <= #g do
    local e = g[k]
    if e > 0 then
      members[n + 1], members[n + 2] = ARGV[3 + 2 * e], ids[e]
      k = k + 1
    else
      members[n + 1], members[n + 2] = ARGV[3 + 2 * g[k + 2]], ids[-e] .. '${RUN_SEPARATOR}' .. ids[g[k + 1]]
      k = k + 3
    end
    n = n + 2
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
 * The index keys of one batch and, per key, `[bucket start, expire-at, entry numbers...]`, turned
 * into ARGV[4] of WRITE_BATCH by `members()`. Keys are looked up hour → kind → value in nested maps:
 * no key string is built for an index a batch already has (one per distinct key, not one per entry and index).
 */
class BatchIndexes implements IndexVisitor {
  readonly keys: string[] = [];
  readonly groups: number[][] = [];
  /** `ts` of each entry, by entry number. */
  private readonly times: number[] = [0];
  private readonly byHour = new Map<number, Map<IndexKind, Map<string, number[]>>>();
  private byKind!: Map<IndexKind, Map<string, number[]>>;
  private hour = 0;
  private entryNumber = 0;

  constructor(
    private readonly store: RequestLogStore,
    private readonly retentionMs: number,
  ) {}

  /** The next entry (numbered from 1) arrived at `ts`. */
  next(ts: number): void {
    const hour = Math.floor(ts / HOUR);
    this.entryNumber += 1;
    this.times.push(ts);
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

  /** ARGV[4] of WRITE_BATCH: each key's entries with runs of nearby ones (RUN_GAP, RUN_SPAN_MS) as one member. */
  members(): number[][] {
    return this.groups.map((group) => {
      const out = [group[0], group[1]];
      let i = 2;
      while (i < group.length) {
        let earliest = group[i];
        let low = this.times[earliest];
        let high = low;
        let j = i;
        while (j + 1 < group.length && group[j + 1] - group[j] <= RUN_GAP) {
          const ts = this.times[group[j + 1]];
          if (Math.max(high, ts) - Math.min(low, ts) > RUN_SPAN_MS) break;
          if (ts < low) [low, earliest] = [ts, group[j + 1]];
          high = Math.max(high, ts);
          j++;
        }
        if (j === i) out.push(group[i]);
        else out.push(-group[i], group[j], earliest);
        i = j + 1;
      }
      return out;
    });
  }
}

/** Index members of one hour bucket: stream ids and runs (`<first id>/<last id>`), highest score first. */
export interface IndexBucket {
  hour: number;
  members: string[];
}

/** Newest first: by `ts`, then by stream id. */
function newestFirst(a: StoredLogEntry, b: StoredLogEntry): number {
  return b.ts - a.ts || compareIds(b.id, a.id);
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
      indexes.next(entry.ts);
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
      JSON.stringify(indexes.members()),
      ...args,
    );
    return Number(result);
  }

  /** Entries with ids in [sinceMs, untilMs] (untilMs null: up to the newest), newest first, page by page. */
  async *newestFirst(sinceMs: number, untilMs: number | null, pageSize = 500): AsyncGenerator<StoredLogEntry[]> {
    let end = untilMs === null ? '+' : `${untilMs}-18446744073709551615`;
    for (;;) {
      const page = (await this.redis.client.xrevrange(this.streamKey, end, `${sinceMs}-0`, 'COUNT', pageSize)) as [
        string,
        string[],
      ][];
      if (page.length === 0) return;
      yield this.decode(page);
      if (page.length < pageSize) return;
      end = `(${page[page.length - 1][0]}`;
    }
  }

  /** Entries after `afterId` (exclusive), oldest first. */
  async after(afterId: string, count: number): Promise<StoredLogEntry[]> {
    const page = (await this.redis.client.xrange(this.streamKey, `(${afterId}`, '+', 'COUNT', count)) as [
      string,
      string[],
    ][];
    return this.decode(page);
  }

  /** Id of the newest entry, or `0-0` for an empty log. */
  async lastId(): Promise<string> {
    const page = (await this.redis.client.xrevrange(this.streamKey, '+', '-', 'COUNT', 1)) as [string, string[]][];
    return page[0]?.[0] ?? '0-0';
  }

  /**
   * The entries behind index members of one hour bucket (ids already trimmed away are skipped), newest
   * first. A run's range can hold other entries of the batch: those of another hour bucket are dropped
   * here (they are indexed there); the caller's filter drops those of other values.
   */
  async fetchIndexed(bucket: IndexBucket): Promise<StoredLogEntry[]> {
    const out: StoredLogEntry[] = [];
    const pipeline = this.redis.client.pipeline();
    for (const member of bucket.members) {
      const run = member.indexOf(RUN_SEPARATOR);
      if (run < 0) pipeline.xrange(this.streamKey, member, member);
      else pipeline.xrevrange(this.streamKey, member.slice(run + 1), member.slice(0, run));
    }
    for (const [error, page] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      for (const entry of this.decode(page as [string, string[]][]))
        if (Math.floor(entry.ts / HOUR) === bucket.hour) out.push(entry);
    }
    return out.sort(newestFirst);
  }

  /**
   * The entries one index leads to between two times (members up to `limit`), newest first. A run
   * is scored by its earliest entry and holds entries up to RUN_SPAN_MS later, so a chunk's entries
   * no later than its lowest score + RUN_SPAN_MS are held back and merged with the next chunk's
   * (a later chunk can hold entries up to that time, no later); hour buckets hold only their own
   * hour's entries, so a new bucket releases everything held.
   */
  async *indexedEntries(
    kind: IndexKind,
    value: string,
    sinceMs: number,
    untilMs: number,
    limit: number,
    chunk = 500,
  ): AsyncGenerator<StoredLogEntry[]> {
    let held: StoredLogEntry[] = [];
    let hour: number | null = null;
    for await (const bucket of this.indexMembers(kind, value, sinceMs, untilMs, limit, chunk)) {
      if (bucket.hour !== hour && held.length > 0) {
        yield held;
        held = [];
      }
      hour = bucket.hour;
      const fetched = await this.fetchIndexed(bucket);
      held = held.length > 0 ? [...held, ...fetched].sort(newestFirst) : fetched;
      const floor = bucket.lowestScore + RUN_SPAN_MS;
      let safe = 0;
      while (safe < held.length && held[safe].ts > floor) safe++;
      // More than a second of very busy traffic in one bucket: release it rather than hold it all.
      if (held.length > MAX_HELD) safe = held.length;
      if (safe > 0) {
        yield held.slice(0, safe);
        held = held.slice(safe);
      }
    }
    if (held.length > 0) yield held;
  }

  /**
   * Members of one index between two times, newest bucket first, in chunks of `chunk`; at most
   * `limit` in all (each bucket read in one call, so members added meanwhile shift nothing). The
   * lower bound is widened by RUN_SPAN_MS (a run is scored by its earliest entry): the caller
   * filters entries on `ts`.
   */
  async *indexMembers(
    kind: IndexKind,
    value: string,
    sinceMs: number,
    untilMs: number,
    limit: number,
    chunk = 500,
  ): AsyncGenerator<IndexBucket & { lowestScore: number }> {
    let left = limit;
    for (
      let hour = Math.floor(untilMs / HOUR);
      hour >= Math.floor((sinceMs - RUN_SPAN_MS) / HOUR) && left > 0;
      hour--
    ) {
      const flat = await this.redis.client.zrevrangebyscore(
        this.indexKey(kind, value, hour),
        untilMs,
        sinceMs - RUN_SPAN_MS,
        'WITHSCORES',
        'LIMIT',
        0,
        left,
      );
      left -= flat.length / 2;
      for (let i = 0; i < flat.length; i += 2 * chunk) {
        const members: string[] = [];
        const end = Math.min(flat.length, i + 2 * chunk);
        for (let j = i; j < end; j += 2) members.push(flat[j]);
        yield { hour, members, lowestScore: Number(flat[end - 1]) };
      }
    }
  }

  /**
   * Removes entries older than `cutoffMs` from the stream (exactly), and from every index the
   * members older than the stream's oldest entry: those the stream lost to LOG_MAX_ENTRIES go too, so
   * index memory follows the stream's length, not a whole retention window of traffic. (An entry
   * whose id was clamped far above its `ts` — a long request — can leave the indexes a little
   * before it leaves the stream.)
   */
  async sweep(cutoffMs: number): Promise<{ entries: number; index_keys: number }> {
    const client = this.redis.client;
    const entries = Number(await client.xtrim(this.streamKey, 'MINID', cutoffMs));
    const oldest = (await client.xrange(this.streamKey, '-', '+', 'COUNT', 1)) as [string, string[]][];
    const indexCutoff = oldest.length > 0 ? Math.max(cutoffMs, Number(oldest[0][0].split('-')[0])) : cutoffMs;
    const cutoffHour = Math.floor(indexCutoff / HOUR) * HOUR;
    // Buckets that ended before the cutoff go whole; the bucket holding the cutoff loses its older members.
    const expired = await client.zrangebyscore(this.registryKey, '-inf', `(${cutoffHour}`);
    const straddling = await client.zrangebyscore(this.registryKey, cutoffHour, cutoffHour);
    const tx = client.multi();
    if (expired.length > 0) {
      tx.del(...expired);
      tx.zrem(this.registryKey, ...expired);
    }
    for (const key of straddling) tx.zremrangebyscore(key, '-inf', `(${indexCutoff}`);
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
