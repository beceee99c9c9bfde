import { Injectable, Logger, OnApplicationShutdown, OnModuleInit, Optional } from '@nestjs/common';
import type { RateLimitCharge, RateLimiter, RateLimitOutcome } from '@app/dispatcher';
import { RateLimitMetrics } from '@app/metrics';
import { RedisConnections, type RedisClient } from '@app/redis';
import { GCRA_SCRIPT, REFUND_SCRIPT } from './gcra-script';
import { hashTagOf } from './hash-tag';
import { LeaseBook } from './lease-book';

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
const ADMITTED = Promise.resolve(ALLOWED);

type ScriptReply = number[];
type Refused = RateLimitOutcome & { allowed: false };
/** A group's answer: refused, or admitted with the calls leased per charge. */
type GroupOutcome = { refused: Refused } | { granted: readonly number[] };
type LimiterClient = RedisClient & {
  rateLimitGcra(keys: number, ...args: (string | number)[]): Promise<ScriptReply>;
  rateLimitRefund(keys: number, ...args: (string | number)[]): Promise<number>;
};

/**
 * The cluster-wide rate limiter (RATE_LIMITER): a GCRA per key in Redis (gcra-script.ts). The
 * charges of one request are grouped by their hash tag (one subject: one cluster slot) and each
 * group is decided by one script call; the calls of all groups are sent at once, so a request waits
 * for one round trip. A busy key leases calls ahead of need (lease-book.ts), so most of its calls
 * are admitted from memory without a round trip. Its own connection, with a command timeout and no
 * offline queue, so a slow or absent Redis answers quickly (fail open, logged, counted).
 */
@Injectable()
export class RedisRateLimiter implements RateLimiter, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisRateLimiter.name);
  private readonly client: LimiterClient;
  private lastFailureLogged = 0;
  private readonly leases = new LeaseBook();

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
    if (charges.length === 0) return ADMITTED;
    // What live leases cover is taken here; only the rest goes to Redis.
    let remote: RateLimitCharge[] | undefined;
    let local: RateLimitCharge[] | undefined;
    for (const charge of charges)
      if (this.leases.take(charge.key, charge.cost)) (local ??= []).push(charge);
      else (remote ??= []).push(charge);
    if (!remote) return ADMITTED;
    return this.decideRemote(remote).then((outcome) => {
      if (!outcome.allowed && local) for (const c of local) this.leases.giveBack(c.key, c.cost);
      return outcome;
    }, this.failOpen);
  }

  private decideRemote(charges: readonly RateLimitCharge[]): Promise<RateLimitOutcome> {
    const groups = groupByHashTag(charges);
    if (groups.length === 1) return this.decide(groups[0]).then((o) => ('refused' in o ? o.refused : ALLOWED));
    return Promise.all(groups.map((g) => this.decide(g))).then((outcomes) => this.combine(groups, outcomes));
  }

  /** One group's script call; an admitted group's leases are recorded. */
  private async decide(group: readonly RateLimitCharge[]): Promise<GroupOutcome> {
    const asked = group.map((c) => this.leases.extraFor(c.key, c.limit));
    const args: (string | number)[] = group.map((c) => c.key);
    group.forEach((c, i) => args.push(c.limit.limit, c.limit.windowMs, c.cost, asked[i]));
    let reply: ScriptReply;
    try {
      reply = await this.client.rateLimitGcra(group.length, ...args);
    } catch (error) {
      group.forEach((c, i) => this.leases.abandon(c.key, asked[i]));
      throw error;
    }
    if (reply[0] !== 0) {
      group.forEach((c, i) => this.leases.abandon(c.key, asked[i]));
      const refused = group[reply[0] - 1];
      return { refused: { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(reply[1] / 1000)), refused } };
    }
    const granted = group.map((c, i) => Number(reply[i + 1] ?? 0));
    group.forEach((c, i) => this.leases.granted(c.key, c.limit, c.cost, granted[i], asked[i]));
    return { granted };
  }

  /**
   * Groups live in different slots, so they cannot be decided atomically together: when one refused,
   * the groups that were admitted give back what they took, leases included (a second round trip,
   * only then), so a refused request still consumes nothing.
   */
  private combine(
    groups: readonly (readonly RateLimitCharge[])[],
    outcomes: readonly GroupOutcome[],
  ): RateLimitOutcome {
    let refusal: Refused | undefined;
    for (const outcome of outcomes)
      if ('refused' in outcome && (!refusal || outcome.refused.retryAfterSeconds > refusal.retryAfterSeconds))
        refusal = outcome.refused;
    if (!refusal) return ALLOWED;
    groups.forEach((group, i) => {
      const outcome = outcomes[i];
      if ('refused' in outcome) return;
      const args: (string | number)[] = group.map((c) => c.key);
      group.forEach((c, j) => {
        this.leases.forget(c.key);
        args.push(c.limit.limit, c.limit.windowMs, c.cost + outcome.granted[j]);
      });
      this.client.rateLimitRefund(group.length, ...args).catch((e: Error) => this.reportFailure(e));
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
