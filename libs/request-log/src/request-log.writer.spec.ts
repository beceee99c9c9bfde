import { Logger } from '@nestjs/common';
import { AppConfig, parseEnvironment } from '@app/config';
import { MetricsRegistry, RequestLogMetrics } from '@app/metrics';
import { LogClock } from './clock';
import { RequestLogEntry } from './request-log-entry';
import { RequestLogStore } from './request-log.store';
import { RequestLogWriter } from './request-log.writer';

/** A store whose writes the test completes or fails by hand. */
class ManualStore {
  readonly batches: RequestLogEntry[][] = [];
  private pending: { count: number; resolve: (n: number) => void; reject: (e: Error) => void }[] = [];

  writeBatch(entries: RequestLogEntry[]): Promise<number> {
    this.batches.push(entries);
    return new Promise((resolve, reject) => this.pending.push({ count: entries.length, resolve, reject }));
  }
  complete(): void {
    const write = this.pending.shift()!;
    write.resolve(write.count);
  }
  fail(message: string): void {
    this.pending.shift()!.reject(new Error(message));
  }
}

const entry = (request_id: string, ts = Date.now()): RequestLogEntry => ({
  ts,
  client_ip: '192.0.2.1',
  host: 'App.Example.Test',
  method: 'get',
  path: '/x?code=secret',
  status: 200,
  bytes_out: 1,
  duration_ms: 1.23456,
  request_id,
  listener: 'http',
});

describe('RequestLogWriter', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));

  let store: ManualStore;
  let registry: MetricsRegistry;
  let writer: RequestLogWriter;

  const counter = async (name: string, labels = ''): Promise<number> => {
    const text = await registry.render();
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
    return Number(line?.split(' ')[1] ?? NaN);
  };

  beforeEach(() => {
    store = new ManualStore();
    registry = new MetricsRegistry();
    const metrics = new RequestLogMetrics(registry);
    const config = new AppConfig(
      parseEnvironment({
        ADMIN_TOKEN: 'acm_writer_spec_0123456789',
        LOG_BUFFER_ENTRIES: '3',
        LOG_RETENTION_HOURS: '1',
      }),
    );
    writer = new RequestLogWriter(store as unknown as RequestLogStore, metrics, config, new LogClock());
  });

  it('records synchronously, normalises, and writes in one batch', async () => {
    writer.record(entry('a'));
    writer.record(entry('b'));
    expect(store.batches).toEqual([]);
    const flushed = writer.flush();
    expect(store.batches).toHaveLength(1);
    expect(store.batches[0].map((e) => [e.request_id, e.host, e.method, e.path, e.duration_ms])).toEqual([
      ['a', 'app.example.test', 'GET', '/x', 1.23],
      ['b', 'app.example.test', 'GET', '/x', 1.23],
    ]);
    store.complete();
    await flushed;
    expect(writer.pending).toBe(0);
    expect(await counter('proxy_request_log_written_total')).toBe(2);
  });

  it('bounds the buffer while a write hangs and counts what it drops', async () => {
    writer.record(entry('a'));
    const stuck = writer.flush(); // "a" in flight, Redis not answering
    for (const id of ['b', 'c', 'd', 'e', 'f']) writer.record(entry(id));
    expect(writer.pending).toBe(3);
    expect(await counter('proxy_request_log_dropped_total', '{reason="buffer_full"}')).toBe(2);
    expect(writer.flush()).toBe(stuck); // one write at a time
    store.complete();
    await stuck;
    const next = writer.flush();
    expect(store.batches[1].map((e) => e.request_id)).toEqual(['b', 'c', 'd']);
    store.complete();
    await next;
    expect(await counter('proxy_request_log_written_total')).toBe(4);
  });

  it('retries a failed batch first, and drops it after three failed attempts', async () => {
    writer.record(entry('a'));
    let flushing = writer.flush();
    store.fail('Connection is closed.');
    await flushing;
    writer.record(entry('b'));
    expect(writer.pending).toBe(2);
    for (let attempt = 2; attempt <= 3; attempt++) {
      flushing = writer.flush();
      expect(store.batches[attempt - 1].map((e) => e.request_id)).toEqual(['a', 'b']);
      store.fail('Connection is closed.');
      await flushing;
    }
    // "a" failed three times: dropped; "b" twice: kept for another try.
    expect(await counter('proxy_request_log_dropped_total', '{reason="write_failed"}')).toBe(1);
    expect(writer.pending).toBe(1);
  });

  it('never throws from record() and skips entries already past retention', async () => {
    expect(() => writer.record(null as unknown as RequestLogEntry)).not.toThrow();
    writer.record(entry('old', Date.now() - 2 * 3_600_000));
    await writer.flush();
    expect(store.batches).toEqual([]);
    expect(writer.pending).toBe(0);
  });

  it('does nothing per entry but keep it: normalises at flush, and reads the buffered gauge at scrape time', async () => {
    const given = entry('a');
    writer.record(given);
    expect(given.host).toBe('App.Example.Test'); // the caller's object, untouched
    writer.record(entry('b'));
    expect(await counter('proxy_request_log_buffered')).toBe(2);
    const flushed = writer.flush();
    expect(await counter('proxy_request_log_buffered')).toBe(0); // both in flight
    expect(store.batches[0][0]).not.toBe(given);
    expect(store.batches[0][0]).toEqual({
      ...given,
      host: 'app.example.test',
      method: 'GET',
      path: '/x',
      duration_ms: 1.23,
    });
    store.fail('Connection is closed.');
    await flushed;
    expect(await counter('proxy_request_log_buffered')).toBe(2); // back in the buffer
    const retried = writer.flush();
    // The same normalised objects again, not normalised a second time.
    expect(store.batches[1][0]).toBe(store.batches[0][0]);
    expect(store.batches[1][1]).toBe(store.batches[0][1]);
    store.complete();
    await retried;
    expect(await counter('proxy_request_log_buffered')).toBe(0);
    expect(await counter('proxy_request_log_written_total')).toBe(2);
  });

  it('skips an entry that is not one at flush time and writes the rest of its batch', async () => {
    writer.record(entry('a'));
    writer.record({ ts: Date.now() } as unknown as RequestLogEntry);
    writer.record(entry('b'));
    const flushed = writer.flush();
    expect(store.batches[0].map((e) => e.request_id)).toEqual(['a', 'b']);
    store.complete();
    await flushed;
    expect(writer.pending).toBe(0);
  });
});
