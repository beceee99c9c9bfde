import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { RedisConnections, RedisKeys } from '@app/redis';

export interface RevokedJti {
  jti: string;
  /** Expiry of the revoked token (seconds since the epoch); kept until then. */
  exp: number;
}

/**
 * The set of revoked access-token ids, kept in memory so verification never reads Redis.
 *
 * Redis holds the truth (`oauth:revoked`, a sorted set jti → exp). A revocation is written there
 * and published on `oauth:revoked`; every replica adds the jti on the message, and re-reads the
 * whole set after a reconnect and every OAUTH_REVOCATION_SYNC_SECONDS. Bound: a revoked token is
 * refused everywhere within the pub/sub latency, or at worst one sync interval when a message is
 * lost. Memory is bounded by the number of revoked tokens that have not expired yet.
 */
@Injectable()
export class RevokedTokens implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RevokedTokens.name);
  private readonly revoked = new Map<string, number>();
  private readonly key: string;
  private readonly channel: string;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly redis: RedisConnections,
    keys: RedisKeys,
    private readonly config: AppConfig,
  ) {
    this.key = keys.key('oauth', 'revoked');
    this.channel = keys.key('oauth', 'revoked-channel');
  }

  async onModuleInit(): Promise<void> {
    await this.redis.subscribe(this.channel, {
      message: (message) => {
        for (const entry of message.split(',')) {
          const [jti, exp] = entry.split(' ');
          if (jti && Number.isFinite(Number(exp))) this.revoked.set(jti, Number(exp));
        }
      },
      resubscribed: () => this.sync(),
    });
    this.redis.client.on('ready', () => void this.sync());
    await this.sync();
    this.timer = setInterval(() => void this.sync(), this.config.oauth.revocationSyncMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  isRevoked(jti: string): boolean {
    return this.revoked.has(jti);
  }

  get size(): number {
    return this.revoked.size;
  }

  async revoke(entries: RevokedJti[]): Promise<void> {
    const now = Math.floor(Date.now() / 1000);
    const live = entries.filter((e) => e.exp > now);
    if (live.length === 0) return;
    const args = live.flatMap((e) => [e.exp, e.jti]);
    await this.redis.client
      .multi()
      .zadd(this.key, ...args)
      .zremrangebyscore(this.key, '-inf', now)
      .exec();
    for (const e of live) this.revoked.set(e.jti, e.exp);
    await this.redis.client.publish(this.channel, live.map((e) => `${e.jti} ${e.exp}`).join(','));
  }

  /** Re-reads the unexpired revocations from Redis and drops the expired ones from memory. */
  async sync(): Promise<void> {
    const now = Math.floor(Date.now() / 1000);
    try {
      const flat = await this.redis.client.zrangebyscore(this.key, now, '+inf', 'WITHSCORES');
      const fresh = new Map<string, number>();
      for (let i = 0; i < flat.length; i += 2) fresh.set(flat[i], Number(flat[i + 1]));
      // Keep local entries not yet visible in Redis (none normally), drop the expired ones.
      for (const [jti, exp] of this.revoked) if (exp > now && !fresh.has(jti)) fresh.set(jti, exp);
      this.revoked.clear();
      for (const [jti, exp] of fresh) this.revoked.set(jti, exp);
    } catch (error) {
      this.logger.warn(`revocation sync failed (keeping the in-memory list): ${(error as Error).message}`);
    }
  }
}
