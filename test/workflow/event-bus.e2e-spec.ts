import { Injectable, Module, OnModuleInit, INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { ConfigModule, parseEnvironment } from '@app/config';
import { MetricsModule, MetricsRegistry } from '@app/metrics';
import { RedisModule } from '@app/redis';
import {
  ClusterSingleton,
  EventBus,
  RetryLater,
  WorkflowEvent,
  WorkflowKeys,
  WorkflowModule,
  WorkflowService,
} from '@app/workflow';
import { testRedisClient, testRedisEnv, TestRedisClient } from '../support/test-redis';
import { isDefined, waitFor } from '../support/wait';

/**
 * The workflow bus in-process, against the suite's real Redis, with two "replicas" (two Nest
 * contexts sharing a key prefix, each its own consumer). The handlers below are test-only workers
 * registered only in this file's module; the bus itself is the project's.
 */
interface Calls {
  handled: Map<string, number>; // payload key → times run, summed over replicas
  flaky: Map<string, number>;
}
const CALLS = Symbol('calls');

function workersModule(calls: Calls) {
  @Injectable()
  class Workers implements OnModuleInit {
    constructor(private readonly bus: EventBus) {}
    onModuleInit(): void {
      const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
      this.bus.subscribe({
        group: 'test-counting',
        types: ['test.count'],
        handle: async (event: WorkflowEvent) => {
          count(calls.handled, String(event.payload.n));
        },
      });
      this.bus.subscribe({
        group: 'test-failing',
        types: ['test.fail'],
        handle: async (event: WorkflowEvent) => {
          count(calls.flaky, `fail:${String(event.payload.n)}`);
          throw new Error(`handler refuses event ${String(event.payload.n)}`);
        },
      });
      this.bus.subscribe({
        group: 'test-flaky',
        types: ['test.flaky'],
        handle: async (event: WorkflowEvent) => {
          const key = `flaky:${String(event.payload.n)}`;
          count(calls.flaky, key);
          if ((calls.flaky.get(key) ?? 0) <= 2) throw new Error('not yet');
          if (event.payload.busy_once && (calls.flaky.get(key) ?? 0) === 3) throw new RetryLater('busy');
        },
      });
    }
  }
  @Module({ providers: [Workers, { provide: CALLS, useValue: calls }] })
  class WorkersModule {}
  return WorkersModule;
}

describe('workflow event bus (in-process, real Redis)', () => {
  const prefix = `wf-${randomBytes(4).toString('hex')}`;
  const calls: Calls = { handled: new Map(), flaky: new Map() };
  let replicas: INestApplicationContext[] = [];
  let redis: TestRedisClient;
  let keys: WorkflowKeys;

  async function replica(): Promise<INestApplicationContext> {
    const env = parseEnvironment({
      ADMIN_TOKEN: 'acm_0123456789abcdef0123',
      ...testRedisEnv(),
      REDIS_KEY_PREFIX: prefix,
      LOG_LEVEL: 'silent',
      WORKFLOW_CLAIM_TIMEOUT_MS: '600',
      WORKFLOW_MAX_ATTEMPTS: '3',
      WORKFLOW_RETRY_BASE_MS: '50',
    });
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(env), RedisModule, MetricsModule, WorkflowModule, workersModule(calls)],
    }).compile();
    moduleRef.useLogger(false);
    await moduleRef.init();
    return moduleRef;
  }

  const SETTLE = { timeoutMs: 15_000, intervalMs: 50 };
  /** Entries pending in a consumer group (the count XPENDING reports). */
  const pendingIn = async (group: string) => (await redis.xpending(keys.events, group))[0];

  beforeAll(async () => {
    redis = testRedisClient();
    replicas = [await replica(), await replica()];
    keys = replicas[0].get(WorkflowKeys);
  });

  afterAll(async () => {
    for (const app of replicas) await app.close();
    redis.disconnect();
  });

  it('runs each event once across two replicas', async () => {
    const bus = replicas[0].get(EventBus);
    for (let n = 0; n < 40; n++) await replicas[n % 2].get(EventBus).publish('test.count', { n: `once-${n}` });
    await waitFor(
      'all 40 events handled (value: runs per event)',
      () => calls.handled,
      (handled) => ['once-0', 'once-39'].every((k) => handled.has(k)) && handled.size >= 40,
      SETTLE,
    );
    // Let any duplicate delivery show up before counting.
    await waitFor(
      'nothing pending in test-counting',
      () => pendingIn('test-counting'),
      (n) => n === 0,
      SETTLE,
    );
    const counts = [...calls.handled.entries()].filter(([k]) => k.startsWith('once-'));
    expect(counts).toHaveLength(40);
    expect(counts.every(([, times]) => times === 1)).toBe(true);
    expect(bus.groups).toEqual(['test-counting', 'test-failing', 'test-flaky']);
    await bus.updateMetrics();
    const metrics = await replicas[0].get(MetricsRegistry).render();
    expect(metrics).toMatch(/proxy_event_bus_pending\{stream="workflow:events",group="test-counting"\} 0/);
    expect(metrics).toMatch(/proxy_event_bus_lag\{stream="workflow:events",group="test-counting"\} 0/);
  });

  it('publishes once per dedupe key', async () => {
    const bus = replicas[0].get(EventBus);
    const first = await bus.publish('test.count', { n: 'dedupe' }, { dedupeKey: `k-${prefix}` });
    const second = await replicas[1].get(EventBus).publish('test.count', { n: 'dedupe' }, { dedupeKey: `k-${prefix}` });
    expect(first).toMatch(/^\d+-\d+$/);
    expect(second).toBeNull();
    await waitFor('the deduplicated event handled', () => calls.handled.get('dedupe'), isDefined, SETTLE);
    await waitFor(
      'nothing pending in test-counting',
      () => pendingIn('test-counting'),
      (n) => n === 0,
      SETTLE,
    );
    expect(calls.handled.get('dedupe')).toBe(1);
  });

  it('retries a failing handler with backoff until it succeeds; RetryLater does not count as an attempt', async () => {
    const id = await replicas[0].get(EventBus).publish('test.flaky', { n: 1, busy_once: true });
    await waitFor(
      'the flaky event settled (nothing pending, 4 runs)',
      async () => ({ pending: await pendingIn('test-flaky'), runs: calls.flaky.get('flaky:1') }),
      (s) => s.pending === 0 && s.runs === 4,
      SETTLE,
    );
    // 2 failures + 1 RetryLater + 1 success = 4 runs with a limit of 3 attempts: not dead-lettered.
    expect(calls.flaky.get('flaky:1')).toBe(4);
    const letters = await replicas[0].get(WorkflowService).deadLetters();
    expect(letters.dead_letters.find((l) => l.event_id === id)).toBeUndefined();
    expect(await redis.hlen(keys.attempts('test-flaky'))).toBe(0);
    expect(await redis.exists(keys.done('test-flaky', id!))).toBe(1);
  });

  it('moves an always-failing event to the dead letters after the configured attempts; retry and discard', async () => {
    const service = replicas[1].get(WorkflowService);
    const id = await replicas[0].get(EventBus).publish('test.fail', { n: 7 });
    const letter = await waitFor(
      'the dead letter',
      async () => (await service.deadLetters()).dead_letters.find((l) => l.event_id === id),
      isDefined,
      SETTLE,
    );
    expect(letter).toMatchObject({
      group: 'test-failing',
      type: 'test.fail',
      payload: { n: 7 },
      attempts: 3,
      error: 'handler refuses event 7',
    });
    expect(calls.flaky.get('fail:7')).toBe(3);
    expect((await redis.xpending(keys.events, 'test-failing'))[0]).toBe(0);
    // The other groups saw the event too, but only acknowledged it (not their type).
    expect((await redis.xpending(keys.events, 'test-counting'))[0]).toBe(0);

    const retried = await service.retry(letter.id);
    expect(retried).toMatchObject({ id: letter.id, group: 'test-failing' });
    const again = await waitFor(
      'the retried event dead again',
      async () => (await service.deadLetters()).dead_letters.find((l) => l.event_id === retried.event_id),
      isDefined,
      SETTLE,
    );
    expect(again.attempts).toBe(3);
    expect(calls.flaky.get('fail:7')).toBe(6);
    expect((await service.deadLetters()).dead_letters.find((l) => l.id === letter.id)).toBeUndefined();

    await expect(service.discard(again.id)).resolves.toEqual({ id: again.id, discarded: true });
    await expect(service.discard(again.id)).rejects.toMatchObject({ code: 'not_found' });
    await expect(service.retry('not-an-id')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('takes over a message held by a consumer that stopped (XAUTOCLAIM after the claim timeout)', async () => {
    // Append and read as a consumer that then "dies", in one transaction: no replica can read it first.
    const results = await redis
      .multi()
      .xadd(
        keys.events,
        '*',
        'type',
        'test.count',
        'payload',
        JSON.stringify({ n: 'orphan' }),
        'published_at',
        new Date().toISOString(),
        'origin',
        'test',
      )
      .xreadgroup('GROUP', 'test-counting', 'dead-replica', 'COUNT', 100, 'STREAMS', keys.events, '>')
      .exec();
    const id = results![0][1] as string;
    const read = results![1][1] as [string, [string, string[]][]][];
    expect(read[0][1].map(([entryId]) => entryId)).toEqual([id]);
    const pending = await redis.xpending(keys.events, 'test-counting', '-', '+', 10, 'dead-replica');
    expect((pending as [string][]).map(([pid]) => pid)).toContain(id);
    await waitFor('the orphan taken over', () => calls.handled.get('orphan'), isDefined, SETTLE);
    expect(calls.handled.get('orphan')).toBe(1);
    await waitFor(
      'the dead consumer to have nothing left',
      async () => (await redis.xpending(keys.events, 'test-counting', '-', '+', 10, 'dead-replica')) as unknown[],
      (left) => left.length === 0,
      SETTLE,
    );
  });

  it('cluster singleton: one holder at a time; a holder that loses the lock is told to stop', async () => {
    const singleton = replicas[0].get(ClusterSingleton);
    const other = replicas[1].get(ClusterSingleton);
    let release!: () => void;
    const blocker = new Promise<void>((r) => (release = r));
    let aborted: AbortSignal | undefined;
    const first = singleton.runExclusive('test-sweep', 300, async (signal) => {
      aborted = signal;
      await blocker;
    });
    await waitFor('the first holder running', () => aborted, isDefined, SETTLE);
    await expect(other.runExclusive('test-sweep', 300, async () => undefined)).resolves.toBe(false);
    // Someone else takes the lock (as if ours had expired): the holder's next heartbeat fails and aborts.
    await redis.set(keys.singleton('test-sweep'), 'someone-else', 'PX', 5000);
    await waitFor(
      'the abort signal',
      () => aborted?.aborted,
      (isAborted) => isAborted === true,
      SETTLE,
    );
    release();
    await expect(first).resolves.toBe(true);
    // Release is compare-and-delete: the other owner's lock is still there.
    expect(await redis.get(keys.singleton('test-sweep'))).toBe('someone-else');
  });
});
