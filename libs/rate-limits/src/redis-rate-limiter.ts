import { Injectable, Logger, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import type { RateLimitCharge, RateLimiter, RateLimitOutcome } from '@app/dispatcher';
import { RateLimitMetrics } from '@app/metrics';
import { RedisConnections, type RedisClient } from '@app/redis';
import { GCRA_SCRIPT, REFUND_SCRIPT } from './gcra-script';
import { hashTagOf } from './hash-tag';

/**
 * How long a request waits for the limiter's answer. Beyond it (Redis slow or down) the request is
 * admitted unchecked: limits protect backends from floods, they are not the auth boundary, and a
 * Redis outage must not take every proxied site down with it (docs/security.md, "Rate limits").
 */
export const LIMITER_TIMEOUT_MS = 500;
/** At most one error log line per this long while Redis fails the limiter (the metric counts every request). */
const FAILURE_LOG_INTERVAL_MS = 60_000;
/** How long the start waits for the limiter's connection (requests before it are admitted unchecked). */
const READY_WAIT_MS = 5000;

const ALLOWED: RateLimitOutcome = Object.freeze({ allowed: true });

type ScriptReply = [number, number];
type LimiterClient = RedisClient & {
  rateLimitGcra(keys: number, ...args: (string | number)[]): Promise<ScriptReply>;
  rateLimitRefund(keys: number, ...args: (string | number)[]): Promise<number>;
};

/**
 * The cluster-wide rate limiter (RATE_LIMITER): a GCRA per key in Redis (gcra-script.ts). The
 * charges of one request are grouped by their hash tag (one subject: one cluster slot) and each
 * group is decided by one script call; the calls of all groups are sent at once, so a request waits
 * for one round trip. Its own connection, with a command timeout and no offline queue, so a slow or
 * absent Redis answers quickly (fail open, logged, counted).
 */
@Injectable()
export class RedisRateLimiter implements RateLimiter, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisRateLimiter.name);
  private readonly client: LimiterClient;
  private lastFailureLogged = 0;

  constructor(
    redis: RedisConnections,
    @Optional() private readonly metrics?: RateLimitMetrics,
  ) {
    const client = redis.openDedicated('rate-limiter', { commandTimeoutMs: LIMITER_TIMEOUT_MS });
    // EVALSHA, with EVAL when the script is not cached (a restarted or new node): ioredis does both.
    client.defineCommand('rateLimitGcra', { lua: GCRA_SCRIPT });
    client.defineCommand('rateLimitRefund', { lua: REFUND_SCRIPT });
    client.on('error', (error: Error) => this.reportFailure(error));
    this.client = client as LimiterClient;
  }

  /** Waits (a bounded time) for the connection, so the first requests after the start are counted. */
  async onModuleInit(): Promise<void> {
    if (this.client.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.client.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, READY_WAIT_MS);
      this.client.once('ready', done);
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }

  admit(charges: readonly RateLimitCharge[]): Promise<RateLimitOutcome> {
    if (charges.length === 0) return Promise.resolve(ALLOWED);
    const groups = groupByHashTag(charges);
    if (groups.length === 1) return this.decide(groups[0]).then((o) => o ?? ALLOWED, this.failOpen);
    return Promise.all(groups.map((g) => this.decide(g))).then(
      (outcomes) => this.combine(groups, outcomes),
      this.failOpen,
    );
  }

  /** The refusal of one group, or undefined when the group was admitted (and consumed). */
  private async decide(
    group: readonly RateLimitCharge[],
  ): Promise<(RateLimitOutcome & { allowed: false }) | undefined> {
    const [index, retryMs] = await this.client.rateLimitGcra(group.length, ...keysAndArgs(group));
    if (index === 0) return undefined;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(retryMs / 1000)), refused: group[index - 1] };
  }

  /**
   * Groups live in different slots, so they cannot be decided atomically together: when one refused,
   * the groups that were admitted give their cost back (a second round trip, only then), so a
   * refused request still consumes nothing.
   */
  private combine(
    groups: readonly (readonly RateLimitCharge[])[],
    outcomes: readonly ((RateLimitOutcome & { allowed: false }) | undefined)[],
  ): RateLimitOutcome {
    let refusal: (RateLimitOutcome & { allowed: false }) | undefined;
    for (const outcome of outcomes)
      if (outcome && (!refusal || outcome.retryAfterSeconds > refusal.retryAfterSeconds)) refusal = outcome;
    if (!refusal) return ALLOWED;
    groups.forEach((group, i) => {
      if (outcomes[i] === undefined)
        this.client.rateLimitRefund(group.length, ...keysAndArgs(group)).catch((e: Error) => this.reportFailure(e));
    });
    return refusal;
  }

  private readonly failOpen = (error: Error): RateLimitOutcome => {
    this.metrics?.admittedUnchecked();
    this.reportFailure(error);
    return ALLOWED;
  };

  private reportFailure(error: Error): void {
    const now = Date.now();
    if (now - this.lastFailureLogged < FAILURE_LOG_INTERVAL_MS) return;
    this.lastFailureLogged = now;
    this.logger.error(
      `rate limits are not enforced while Redis does not answer the limiter within ${LIMITER_TIMEOUT_MS} ms (requests are admitted; rate_limiter_unavailable_total counts them): ${error.message}`,
    );
  }
}

/** The charges by hash tag, in the order first seen. */
export function groupByHashTag(charges: readonly RateLimitCharge[]): (readonly RateLimitCharge[])[] {
  if (charges.length === 1) return [charges];
  const groups = new Map<string, RateLimitCharge[]>();
  for (const charge of charges) {
    const tag = hashTagOf(charge.key);
    const group = groups.get(tag);
    if (group) group.push(charge);
    else groups.set(tag, [charge]);
  }
  return [...groups.values()];
}

/** KEYS then ARGV (limit, window ms, cost per key) of one group's script call. */
function keysAndArgs(group: readonly RateLimitCharge[]): (string | number)[] {
  const args: (string | number)[] = group.map((c) => c.key);
  for (const c of group) args.push(c.limit.limit, c.limit.windowMs, c.cost);
  return args;
}
