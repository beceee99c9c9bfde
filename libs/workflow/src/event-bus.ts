import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { AppConfig } from '@app/config';
import { EventBusMetrics } from '@app/metrics';
import { RedisClient, RedisConnections } from '@app/redis';
import { WorkflowKeys } from './workflow-keys';

/** One event as a handler sees it. */
export interface WorkflowEvent<P = Record<string, unknown>> {
  id: string;
  type: string;
  payload: P;
  published_at: string;
  /** Replica that published it. */
  origin: string;
  /** 1 on the first attempt of this group. */
  attempt: number;
  /** Set on an event re-published from the dead letters: only this group runs it. */
  only_group?: string;
}

/** A worker kind: one consumer group on the event stream, the event types it handles. */
export interface WorkflowSubscription {
  group: string;
  types: readonly string[];
  /** Must be idempotent: an event may be delivered again after a crash or a takeover. */
  handle(event: WorkflowEvent): Promise<void>;
}

/**
 * Thrown by a handler that cannot run yet (e.g. another replica holds the resource): retried after
 * the base delay without counting as a failed attempt.
 */
export class RetryLater extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryLater';
  }
}

export interface PublishOptions {
  /** Publishes only once per key within `dedupeSeconds` (default one day). */
  dedupeKey?: string;
  dedupeSeconds?: number;
  /** Only this consumer group runs the event (dead-letter retries). */
  onlyGroup?: string;
}

type StreamEntry = [id: string, fields: string[]];

// Publish with a dedupe marker: both or neither (one slot thanks to the hash tag).
const PUBLISH_ONCE = `
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) then
  return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 3))
end
return false`;
// Heartbeat: resets the idle time of a message only while this consumer still owns it.
const HEARTBEAT = `
local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1, ARGV[2])
if #p == 1 then redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID') return 1 end
return 0`;

/**
 * The workflow event bus on one Redis Stream (`workflow:events`, capped with MAXLEN ~). Each kind of
 * worker is a consumer group; each replica is a consumer named after its host, pid and a random tag.
 *
 * - A handler runs once per group per event in the normal case; a replica that dies holding a
 *   message stops heartbeating it, and after `WORKFLOW_CLAIM_TIMEOUT_MS` another replica takes it
 *   over with XAUTOCLAIM.
 * - A failure leaves the message pending and schedules a retry (delay doubling per attempt); after
 *   `WORKFLOW_MAX_ATTEMPTS` it moves to the dead-letter stream (API: /api/v1/workflow/dead-letters).
 * - Success acknowledges and sets a `done` marker in one MULTI, so a redelivered event is
 *   acknowledged without running. Handlers must still be idempotent (a crash between the effect and
 *   the acknowledgement runs them again): they check state before acting.
 */
@Injectable()
export class EventBus implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(EventBus.name);
  readonly consumer = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly subscriptions = new Map<string, WorkflowSubscription>();
  private readonly readers = new Map<string, RedisClient>();
  private readonly inFlight = new Set<Promise<void>>();
  private running = false;
  private sweepTimer?: NodeJS.Timeout;
  private sweeping = false;

  constructor(
    private readonly redis: RedisConnections,
    private readonly keys: WorkflowKeys,
    private readonly config: AppConfig,
    private readonly metrics: EventBusMetrics,
  ) {}

  /** Registers a worker kind (call from onModuleInit; workers start on application bootstrap). */
  subscribe(subscription: WorkflowSubscription): void {
    if (this.subscriptions.has(subscription.group))
      throw new Error(`workflow group "${subscription.group}" is registered twice`);
    this.subscriptions.set(subscription.group, subscription);
    if (this.running) void this.startGroup(subscription);
  }

  get groups(): string[] {
    return [...this.subscriptions.keys()];
  }

  /** Appends an event; with a dedupe key, only the first publish within the window goes out. Returns the id, or null when deduplicated. */
  async publish(type: string, payload: Record<string, unknown>, options: PublishOptions = {}): Promise<string | null> {
    const fields = [
      'type',
      type,
      'payload',
      JSON.stringify(payload),
      'published_at',
      new Date().toISOString(),
      'origin',
      this.consumer,
    ];
    if (options.onlyGroup) fields.push('only_group', options.onlyGroup);
    const maxLen = this.config.workflow.streamMaxLen;
    const id = options.dedupeKey
      ? await this.redis.client.eval(
          PUBLISH_ONCE,
          2,
          this.keys.events,
          this.keys.dedupe(options.dedupeKey),
          maxLen,
          options.dedupeSeconds ?? 86400,
          ...fields,
        )
      : await this.redis.client.xadd(this.keys.events, 'MAXLEN', '~', maxLen, '*', ...fields);
    await this.redis.waitForReplicas();
    return typeof id === 'string' ? id : null;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.running = true;
    for (const subscription of this.subscriptions.values()) await this.startGroup(subscription);
    const every = Math.max(100, Math.min(1000, Math.floor(this.config.workflow.claimTimeoutMs / 3)));
    this.sweepTimer = setInterval(() => void this.sweep(), every);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    clearInterval(this.sweepTimer);
    for (const reader of this.readers.values()) reader.disconnect();
    // Handlers that finish are acknowledged; the others stay pending and another replica takes them over.
    await Promise.allSettled([...this.inFlight]);
  }

  private async startGroup(subscription: WorkflowSubscription): Promise<void> {
    try {
      await this.redis.client.xgroup('CREATE', this.keys.events, subscription.group, '$', 'MKSTREAM');
    } catch (error) {
      if (!(error as Error).message.includes('BUSYGROUP'))
        this.logger.warn(`could not create group ${subscription.group}: ${(error as Error).message}`);
    }
    // A blocking read needs its own connection (it would hold up every other command).
    const reader = this.redis.client.duplicate();
    reader.on('error', () => undefined); // the shared connections already log outages
    this.readers.set(subscription.group, reader);
    void this.readLoop(subscription, reader);
  }

  private async readLoop(subscription: WorkflowSubscription, reader: RedisClient): Promise<void> {
    while (this.running) {
      try {
        const reply = (await reader.call(
          'XREADGROUP',
          'GROUP',
          subscription.group,
          this.consumer,
          'COUNT',
          10,
          'BLOCK',
          1000,
          'STREAMS',
          this.keys.events,
          '>',
        )) as [string, StreamEntry[]][] | null;
        for (const [, entries] of reply ?? []) {
          await Promise.all(entries.map(([id, fields]) => this.track(this.process(subscription, id, fields))));
        }
      } catch (error) {
        if (!this.running) return;
        const message = (error as Error).message;
        if (message.includes('NOGROUP')) await this.startGroupOnly(subscription.group);
        else this.logger.warn(`workflow ${subscription.group}: read failed: ${message}`);
        await sleep(500);
      }
    }
  }

  /** The group disappears when the stream is deleted (e.g. FLUSHALL or a failover to an empty replica). */
  private async startGroupOnly(group: string): Promise<void> {
    await this.redis.client.xgroup('CREATE', this.keys.events, group, '$', 'MKSTREAM').catch(() => undefined);
  }

  private track(run: Promise<void>): Promise<void> {
    this.inFlight.add(run);
    return run.finally(() => this.inFlight.delete(run));
  }

  /** Runs one delivered message for a group: skip, handle, retry or dead-letter. */
  private async process(subscription: WorkflowSubscription, id: string, fields: string[] | null): Promise<void> {
    const { group } = subscription;
    const client = this.redis.client;
    try {
      if (!fields) return void (await this.forget(group, id)); // trimmed away while pending
      const event = parseEvent(id, fields);
      const relevant = subscription.types.includes(event.type) && (!event.only_group || event.only_group === group);
      if (!relevant || (await client.exists(this.keys.done(group, id))) === 1)
        return void (await this.forget(group, id));
      const attempt = await client.hincrby(this.keys.attempts(group), id, 1);
      if (attempt > this.config.workflow.maxAttempts) {
        const reason = (await client.hget(this.keys.errors(group), id)) ?? 'the replica handling it stopped';
        return void (await this.deadLetter(group, event, attempt - 1, reason));
      }
      const heartbeat = setInterval(
        () => {
          client.eval(HEARTBEAT, 1, this.keys.events, group, this.consumer, id).catch(() => undefined);
        },
        Math.max(50, Math.floor(this.config.workflow.claimTimeoutMs / 3)),
      );
      try {
        await subscription.handle({ ...event, attempt });
      } catch (error) {
        await this.failed(group, event, attempt, error);
        return;
      } finally {
        clearInterval(heartbeat);
      }
      await client
        .multi()
        .xack(this.keys.events, group, id)
        .set(this.keys.done(group, id), '1', 'EX', 86400)
        .hdel(this.keys.attempts(group), id)
        .hdel(this.keys.errors(group), id)
        .zrem(this.keys.retries(group), id)
        .exec();
    } catch (error) {
      // Redis trouble: the message stays pending and is retried or taken over later.
      this.logger.warn(`workflow ${group}: event ${id} not settled: ${(error as Error).message}`);
    }
  }

  private async failed(group: string, event: WorkflowEvent, attempt: number, error: unknown): Promise<void> {
    const client = this.redis.client;
    const reason = error instanceof Error ? error.message : String(error);
    const base = this.config.workflow.retryBaseMs;
    if (error instanceof RetryLater) {
      await client
        .multi()
        .hincrby(this.keys.attempts(group), event.id, -1)
        .zadd(this.keys.retries(group), Date.now() + base, event.id)
        .exec();
      return;
    }
    this.logger.warn(
      `workflow ${group}: ${event.type} ${event.id} failed (attempt ${attempt}/${this.config.workflow.maxAttempts}): ${reason}`,
    );
    if (attempt >= this.config.workflow.maxAttempts) return this.deadLetter(group, event, attempt, reason);
    await client
      .multi()
      .hset(this.keys.errors(group), event.id, reason)
      .zadd(this.keys.retries(group), Date.now() + base * 2 ** (attempt - 1), event.id)
      .exec();
  }

  private async deadLetter(group: string, event: WorkflowEvent, attempts: number, reason: string): Promise<void> {
    this.logger.error(
      `workflow ${group}: ${event.type} ${event.id} moved to the dead letters after ${attempts} attempts: ${reason}`,
    );
    await this.redis.client
      .multi()
      .xadd(
        this.keys.deadLetters,
        'MAXLEN',
        '~',
        this.config.workflow.streamMaxLen,
        '*',
        'event_id',
        event.id,
        'group',
        group,
        'type',
        event.type,
        'payload',
        JSON.stringify(event.payload),
        'published_at',
        event.published_at,
        'attempts',
        String(attempts),
        'error',
        reason,
        'failed_at',
        new Date().toISOString(),
      )
      .xack(this.keys.events, group, event.id)
      .hdel(this.keys.attempts(group), event.id)
      .hdel(this.keys.errors(group), event.id)
      .zrem(this.keys.retries(group), event.id)
      .exec();
  }

  /** Acknowledges without running (not for this group, already done, or gone). */
  private async forget(group: string, id: string): Promise<void> {
    await this.redis.client
      .multi()
      .xack(this.keys.events, group, id)
      .hdel(this.keys.attempts(group), id)
      .hdel(this.keys.errors(group), id)
      .zrem(this.keys.retries(group), id)
      .exec();
  }

  /** Due retries, then messages whose consumer stopped heartbeating; then the metrics. */
  async sweep(): Promise<void> {
    if (this.sweeping || !this.running) return;
    this.sweeping = true;
    try {
      for (const subscription of this.subscriptions.values()) {
        try {
          await this.retryDue(subscription);
          await this.takeOver(subscription);
        } catch (error) {
          this.logger.warn(`workflow ${subscription.group}: sweep failed: ${(error as Error).message}`);
        }
      }
      await this.updateMetrics().catch((error: Error) => this.logger.warn(`workflow metrics: ${error.message}`));
    } finally {
      this.sweeping = false;
    }
  }

  private async retryDue(subscription: WorkflowSubscription): Promise<void> {
    const { group } = subscription;
    const client = this.redis.client;
    const due = await client.zrangebyscore(this.keys.retries(group), '-inf', Date.now(), 'LIMIT', 0, 10);
    for (const id of due) {
      // ZREM is the claim among replicas: only the one that removed it runs the retry.
      if ((await client.zrem(this.keys.retries(group), id)) !== 1) continue;
      const claimed = (await client.call(
        'XCLAIM',
        this.keys.events,
        group,
        this.consumer,
        0,
        id,
      )) as (StreamEntry | null)[];
      const entry = claimed.find((e) => e && e[0] === id);
      if (entry) void this.track(this.process(subscription, id, entry[1]));
      else await this.forget(group, id);
    }
  }

  private async takeOver(subscription: WorkflowSubscription): Promise<void> {
    const { group } = subscription;
    const client = this.redis.client;
    const reply = (await client.call(
      'XAUTOCLAIM',
      this.keys.events,
      group,
      this.consumer,
      this.config.workflow.claimTimeoutMs,
      '0-0',
      'COUNT',
      20,
    )) as [string, (StreamEntry | null)[], string[]?];
    for (const entry of reply[1]) {
      if (!entry) continue;
      const [id, fields] = entry;
      // A failed message waiting for its retry is idle too; the retry path runs it when due.
      if ((await client.zscore(this.keys.retries(group), id)) !== null) continue;
      this.logger.warn(`workflow ${group}: took over event ${id} from a replica that stopped`);
      void this.track(this.process(subscription, id, fields));
    }
    for (const id of reply[2] ?? []) await this.forget(group, id); // deleted by MAXLEN while pending
  }

  async updateMetrics(): Promise<void> {
    const client = this.redis.client;
    const groups = (await client.call('XINFO', 'GROUPS', this.keys.events)) as (string | number | null)[][];
    for (const info of groups) {
      const map = new Map<string, unknown>();
      for (let i = 0; i + 1 < info.length; i += 2) map.set(String(info[i]), info[i + 1]);
      const name = String(map.get('name'));
      this.metrics.setPending('workflow:events', name, Number(map.get('pending') ?? 0));
      this.metrics.setLag('workflow:events', name, Number(map.get('lag') ?? 0));
    }
    this.metrics.setDeadLetters('workflow:dead-letters', await client.xlen(this.keys.deadLetters));
  }
}

export function parseEvent(id: string, fields: string[]): WorkflowEvent {
  const map = fieldMap(fields);
  let payload: Record<string, unknown> = {};
  try {
    payload = JSON.parse(map.payload ?? '{}') as Record<string, unknown>;
  } catch {
    payload = { unreadable: map.payload };
  }
  return {
    id,
    type: map.type ?? '',
    payload,
    published_at: map.published_at ?? '',
    origin: map.origin ?? '',
    attempt: 0,
    only_group: map.only_group,
  };
}

export function fieldMap(fields: string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i]] = fields[i + 1];
  return map;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
