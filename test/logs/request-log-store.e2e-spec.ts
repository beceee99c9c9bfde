import { AppConfig, parseEnvironment } from '@app/config';
import { RedisConnections, RedisKeys } from '@app/redis';
import { RequestLogEntry } from '@app/request-log';
import { normaliseEntry } from '../../libs/request-log/src/request-log-entry';
import { IndexKind, RequestLogStore, RUN_SPAN_MS } from '../../libs/request-log/src/request-log.store';
import { testRedisEnv } from '../support/test-redis';

const HOUR = 3_600_000;

/**
 * RequestLogStore.writeBatch against the suite's real Redis (standalone or Cluster): what one
 * script call leaves in the stream, the index sorted sets and the index registry, how it clamps ids
 * (within a batch and against the stream's newest entry), and the MAXLEN trim done once per batch.
 */
describe('request log store: one batch, one script', () => {
  let connections: RedisConnections;
  let store: RequestLogStore;
  let config: AppConfig;

  const entry = (request_id: string, ts: number, fields: Partial<RequestLogEntry> = {}): RequestLogEntry =>
    normaliseEntry({
      ts,
      client_ip: '192.0.2.1',
      host: 'app.example.test',
      method: 'GET',
      path: '/',
      status: 200,
      bytes_out: 10,
      duration_ms: 1.5,
      request_id,
      listener: 'https',
      ...fields,
    });

  const stream = async (): Promise<[string, string][]> =>
    ((await connections.client.xrange(store.streamKey, '-', '+')) as [string, string[]][]).map(([id, fields]) => [
      id,
      fields[fields.indexOf('e') + 1],
    ]);
  const msOf = (id: string): number => Number(id.split('-')[0]);

  beforeEach(async () => {
    config = new AppConfig(
      parseEnvironment({
        ADMIN_TOKEN: 'acm_log_store_0123456789',
        ...testRedisEnv(),
        REDIS_KEY_PREFIX: `${process.env.TEST_REDIS_PREFIX}-logstore`,
        LOG_MAX_ENTRIES: '1000',
      }),
    );
    connections = new RedisConnections(config);
    store = new RequestLogStore(connections, new RedisKeys(config), config);
    await store.clear();
  });

  afterEach(async () => {
    await store.clear();
    await connections.onApplicationShutdown();
  });

  it('stores every entry as given and puts each in exactly its indexes, with ts scores, expiry and registry', async () => {
    const now = Date.now();
    // Two hour buckets; the batch not in ts order (a long request recorded after a short one).
    const hourStart = Math.floor(now / HOUR) * HOUR;
    const t0 = hourStart - 2_000;
    const batch = [
      entry('a', t0, { client_ip: '203.0.113.7', oauth_client_id: 'client-a' }),
      entry('b', t0 + 1_000, { status: 502, error: 'upstream connect ECONNREFUSED', auth_user: 'alice' }),
      entry('c', t0 + 500, { host: 'other.example.test', status: 404 }),
      entry('d', hourStart + 10, {
        client_ip: '203.0.113.7',
        auth_user: 'alice',
        oauth_client_id: 'client-a',
        status: 301,
        listener: 'proxy-protocol',
      }),
      entry('e', hourStart + 10, { status: 99 }),
    ];
    expect(await store.writeBatch(batch, now)).toBe(5);

    const stored = await stream();
    expect(stored.map(([, json]) => json)).toEqual(batch.map((e) => JSON.stringify(e)));
    const ids = stored.map(([id]) => id);
    // Own time, except "c": clamped up to the entry before it, so ids only increase.
    expect(ids.map(msOf)).toEqual([t0, t0 + 1_000, t0 + 1_000, hourStart + 10, hourStart + 10]);
    expect(ids[2]).toBe(`${t0 + 1_000}-1`);
    expect(ids[4]).toBe(`${hourStart + 10}-1`);

    // What each index key must lead to: every entry with that index, and nothing else.
    const expected = new Map<string, string[]>();
    batch.forEach((e) => {
      for (const [kind, value] of RequestLogStore.indexesOf(e)) {
        const key = store.indexKey(kind, value, Math.floor(e.ts / HOUR));
        expected.set(key, [...(expected.get(key) ?? []), e.request_id]);
      }
    });
    expect(expected.size).toBe(17);
    const registry = await connections.client.zrange(store.registryKey, 0, -1, 'WITHSCORES');
    const registered = new Map<string, string>();
    for (let i = 0; i < registry.length; i += 2) registered.set(registry[i], registry[i + 1]);
    expect([...registered.keys()].sort()).toEqual([...expected.keys()].sort());
    const retention = config.logRetentionMs;
    for (const [key, requestIds] of expected) {
      const [kind, value, hourText] = key.split(':').slice(-3) as [IndexKind, string, string];
      const hour = Number(hourText);
      const members = await connections.client.zrange(key, 0, -1);
      const found = (await store.fetchIndexed({ hour, members })).filter((e) =>
        RequestLogStore.indexesOf(e).some(([k, v]) => k === kind && v === value),
      );
      expect({ key, found: found.map((e) => e.request_id).sort() }).toEqual({ key, found: [...requestIds].sort() });
      expect({ key, bucket: registered.get(key) }).toEqual({ key, bucket: String(hour * HOUR) });
      expect({ key, expireAt: await connections.client.pexpiretime(key) }).toEqual({
        key,
        expireAt: (hour + 1) * HOUR + retention,
      });
    }
    // Neighbours of one key in a batch are one run member, scored by their earliest ts: b and c (c
    // arrived first) are the errors of the previous hour, d and e the host's entries of this hour.
    const previousHour = hourStart / HOUR - 1;
    expect(await connections.client.zrange(store.indexKey('errors', 'all', previousHour), 0, -1, 'WITHSCORES')).toEqual(
      [`${ids[1]}/${ids[2]}`, String(t0 + 500)],
    );
    expect(
      await connections.client.zrange(
        store.indexKey('host', 'app.example.test', hourStart / HOUR),
        0,
        -1,
        'WITHSCORES',
      ),
    ).toEqual([`${ids[3]}/${ids[4]}`, String(hourStart + 10)]);
    // Entries further apart, or more than RUN_SPAN_MS apart in time, stay single ids.
    expect(
      await connections.client.zrange(store.indexKey('ip', '203.0.113.7', previousHour), 0, -1, 'WITHSCORES'),
    ).toEqual([ids[0], String(t0)]);
    const registryTtl = await connections.client.pttl(store.registryKey);
    expect(registryTtl).toBeGreaterThan(retention);
    expect(registryTtl).toBeLessThanOrEqual(retention + 2 * HOUR);
  });

  it('gives an entry older than the stream newest one that time (another replica wrote later), and its own time otherwise', async () => {
    const now = Date.now();
    await store.writeBatch([entry('late', now - 1_000)], now);
    expect(
      await store.writeBatch(
        [entry('early', now - 60_000), entry('earlier', now - 90_000), entry('next', now - 500)],
        now,
      ),
    ).toBe(3);
    const stored = await stream();
    expect(stored.map(([, json]) => (JSON.parse(json) as RequestLogEntry).request_id)).toEqual([
      'late',
      'early',
      'earlier',
      'next',
    ]);
    expect(stored.map(([id]) => id)).toEqual([
      `${now - 1_000}-0`,
      `${now - 1_000}-1`,
      `${now - 1_000}-2`,
      `${now - 500}-0`,
    ]);
    // Indexed with their own times as scores, under their own ids.
    const ip = await connections.client.zrange(
      store.indexKey('ip', '192.0.2.1', Math.floor((now - 90_000) / HOUR)),
      0,
      -1,
      'WITHSCORES',
    );
    expect(ip).toContain(`${now - 1_000}-2`);
    expect(ip[ip.indexOf(`${now - 1_000}-2`) + 1]).toBe(String(now - 90_000));
  });

  it('trims the stream to about LOG_MAX_ENTRIES once per batch, keeping the newest', async () => {
    const now = Date.now();
    for (let b = 0; b < 15; b++) {
      const batch = Array.from({ length: 100 }, (_, i) => entry(`r${b * 100 + i}`, now - 60_000 + b * 100 + i));
      expect(await store.writeBatch(batch, now)).toBe(100);
    }
    const length = await store.length();
    // Approximate (~) trim: whole stream nodes only, so at least the bound and less than one node more.
    expect(length).toBeGreaterThanOrEqual(1000);
    expect(length).toBeLessThan(1100);
    const newest = await connections.client.xrevrange(store.streamKey, '+', '-', 'COUNT', 1);
    expect(newest[0][0]).toBe(`${now - 60_000 + 1499}-0`);
  });

  it('writes a batch bigger than one ZADD slice (the script adds members 1000 at a time)', async () => {
    const now = Date.now();
    const ts = Math.floor((now - 60_000) / HOUR) * HOUR + 1_000; // the whole batch in one hour bucket
    // Neighbours more than RUN_SPAN_MS apart: 5,000 single members for the host; the odd ones share a time, one run for their IP.
    const later = ts + RUN_SPAN_MS + 1;
    const batch = Array.from({ length: 5_000 }, (_, i) =>
      entry(`big${i}`, i % 2 ? later : ts, { client_ip: i % 2 ? '192.0.2.8' : '192.0.2.9' }),
    );
    expect(await store.writeBatch(batch, now)).toBe(5_000);
    const hour = Math.floor(ts / HOUR);
    expect(await connections.client.zcard(store.indexKey('host', 'app.example.test', hour))).toBe(5_000);
    expect(await connections.client.zcard(store.indexKey('ip', '192.0.2.8', hour))).toBe(1);
    const ids = (await stream()).map(([id]) => id);
    // Trimmed to about LOG_MAX_ENTRIES, the newest kept (the even entries clamped up to the odd ones' time).
    expect(ids.length).toBeGreaterThanOrEqual(1000);
    expect(ids.length).toBeLessThan(1100);
    const last = ids[ids.length - 1];
    expect(last).toBe(`${later}-4998`);
    expect(await connections.client.zscore(store.indexKey('host', 'app.example.test', hour), last)).toBe(String(later));
    // The run still leads to the odd entries the stream kept, newest first (the filter drops the even ones between them).
    const members = await connections.client.zrange(store.indexKey('ip', '192.0.2.8', hour), 0, -1);
    const found = (await store.fetchIndexed({ hour, members })).filter((e) => e.client_ip === '192.0.2.8');
    expect(found).toHaveLength(Math.ceil(ids.length / 2));
    expect(found[0].request_id).toBe('big4999');
  });

  it('reads an index newest first across chunks, though a run is scored by its earliest entry', async () => {
    const now = Date.now();
    const t = Math.floor((now - 60_000) / HOUR) * HOUR + 1_000;
    const host = { host: 'order.example.test' };
    // A and B (900 ms later) are one run scored at A's time; C and D are single ids, later batches.
    await store.writeBatch([entry('A', t, host), entry('B', t + 900, host)], now);
    await store.writeBatch([entry('C', t + 500, host)], now);
    await store.writeBatch([entry('D', t + 2_000, host)], now);
    expect(
      await connections.client.zrevrange(
        store.indexKey('host', 'order.example.test', Math.floor(t / HOUR)),
        0,
        -1,
        'WITHSCORES',
      ),
    ).toEqual([
      expect.stringMatching(/^\d+-\d+$/),
      String(t + 2_000),
      expect.stringMatching(/^\d+-\d+$/),
      String(t + 500),
      expect.stringMatching(/^\d+-\d+\/\d+-\d+$/),
      String(t),
    ]);
    for (const chunk of [1, 2, 500]) {
      const order: string[] = [];
      for await (const entries of store.indexedEntries('host', 'order.example.test', t - 10_000, now, 100, chunk))
        order.push(...entries.map((e) => e.request_id));
      expect({ chunk, order }).toEqual({ chunk, order: ['D', 'B', 'C', 'A'] });
    }
  });

  it('sweeps index members of entries LOG_MAX_ENTRIES trimmed from the stream (index memory follows the stream)', async () => {
    const now = Date.now();
    const start = Math.floor((now - 120_000) / HOUR) * HOUR + 1_000; // all 1,500 in one hour bucket
    // 200 IPs taking turns: every member a single id, 1,500 in all, while the stream keeps about 1,000.
    const ipKeys = Array.from({ length: 200 }, (_, n) =>
      store.indexKey('ip', `198.51.100.${n}`, Math.floor(start / HOUR)),
    );
    for (let b = 0; b < 15; b++) {
      await store.writeBatch(
        Array.from({ length: 100 }, (_, i) =>
          entry(`s${b * 100 + i}`, start + b * 100 + i, { client_ip: `198.51.100.${(b * 100 + i) % 200}` }),
        ),
        now,
      );
    }
    const count = async (min: string) => {
      let sum = 0;
      for (const key of ipKeys) sum += await connections.client.zcount(key, min, '+inf');
      return sum;
    };
    expect(await count('-inf')).toBe(1_500);
    const kept = (await stream()).map(([id]) => msOf(id));
    expect(kept.length).toBeLessThan(1_100);
    await store.sweep(now - config.logRetentionMs);
    // Exactly the entries the stream still holds (each id's time is its entry's ts here).
    expect(await count('-inf')).toBe(kept.length);
    expect(await count(String(kept[0]))).toBe(kept.length);
  });
});
