import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { RedisConnections } from '@app/redis';
import { EventBus } from './event-bus';
import { WorkflowKeys } from './workflow-keys';

/** How often a replica says it is alive, and after how long without a word it no longer counts. */
export const REPLICA_BEAT_MS = 5_000;
export const REPLICA_TTL_MS = 15_000;

/**
 * The replicas sharing this Redis: each one scores its bus name (`EventBus.consumer`) with the time
 * in one sorted set every REPLICA_BEAT_MS (one key: one slot on Cluster); a replica that stops
 * beating drops out after REPLICA_TTL_MS. (XINFO CONSUMERS cannot tell: before Redis 7.2 a
 * consumer's idle time counts from its last delivery, not from its last read.)
 */
@Injectable()
export class ReplicaRegistry implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReplicaRegistry.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly redis: RedisConnections,
    private readonly keys: WorkflowKeys,
    private readonly bus: EventBus,
  ) {}

  onApplicationBootstrap(): void {
    void this.beat();
    this.timer = setInterval(() => void this.beat(), REPLICA_BEAT_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.redis.client.zrem(this.keys.replicas, this.bus.consumer).catch(() => undefined);
  }

  /** Replicas alive now, with when each last said so (ms). */
  async alive(now = Date.now()): Promise<{ consumer: string; seen_ms_ago: number }[]> {
    const flat = await this.redis.client.zrangebyscore(this.keys.replicas, now - REPLICA_TTL_MS, '+inf', 'WITHSCORES');
    const out: { consumer: string; seen_ms_ago: number }[] = [];
    for (let i = 0; i < flat.length; i += 2)
      out.push({ consumer: flat[i], seen_ms_ago: Math.max(0, now - Number(flat[i + 1])) });
    return out.sort((a, b) => a.consumer.localeCompare(b.consumer));
  }

  get self(): string {
    return this.bus.consumer;
  }

  private async beat(): Promise<void> {
    const now = Date.now();
    try {
      await this.redis.client
        .multi()
        .zadd(this.keys.replicas, now, this.bus.consumer)
        // Names of stopped replicas go after an hour (a restart gets a new name).
        .zremrangebyscore(this.keys.replicas, '-inf', now - 3_600_000)
        .exec();
    } catch (error) {
      this.logger.debug(`replica heartbeat failed: ${(error as Error).message}`); // Redis outages are logged elsewhere
    }
  }
}
