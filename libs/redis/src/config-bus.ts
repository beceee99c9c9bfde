import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { ChainableCommander } from 'ioredis';
import { AppConfig } from '@app/config';
import { RedisConnections } from './redis-connections';
import { RedisKeys } from './redis-keys';

export type ConfigChangeListener = (version: number) => void | Promise<void>;

/**
 * The configuration change bus. Every configuration write runs in one MULTI with an INCR of
 * `config:version`, then the new version is published. Replicas rebuild their in-memory view on the
 * message, after a reconnect or re-subscription, and on a slow periodic check (the backstop).
 */
@Injectable()
export class ConfigBus implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ConfigBus.name);
  private readonly listeners = new Set<ConfigChangeListener>();
  private readonly versionKey: string;
  private readonly channel: string;
  private seen = -1;
  private notified: Promise<void> = Promise.resolve();
  private poll?: NodeJS.Timeout;

  constructor(
    private readonly redis: RedisConnections,
    keys: RedisKeys,
    private readonly config: AppConfig,
  ) {
    this.versionKey = keys.key('config', 'version');
    this.channel = keys.key('config', 'changed');
  }

  async onModuleInit(): Promise<void> {
    // Subscribed (confirmed by Redis) before the server starts answering; after a reconnect or a
    // Cluster subscriber move, RedisConnections subscribes again and the version check catches up
    // on what was published meanwhile.
    await this.redis.subscribe(this.channel, {
      message: (message) => void this.observe(Number(message)),
      resubscribed: () => this.check(),
    });
    this.redis.client.on('ready', () => void this.check());
    this.poll = setInterval(() => void this.check(), this.config.configPollMs);
    this.poll.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.poll);
  }

  /** Registers a listener called with the new version whenever the configuration moved. */
  onChange(listener: ConfigChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Runs `write` (commands queued on a MULTI) together with the version bump, atomically, then
   * publishes. Returns the EXEC results of `write`'s commands (the bump's result removed).
   */
  async commit(write: (tx: ChainableCommander) => void): Promise<[error: Error | null, result: unknown][]> {
    const tx = this.redis.client.multi();
    write(tx);
    tx.incr(this.versionKey);
    const results = (await tx.exec()) ?? [];
    const failed = results.find(([error]) => error);
    if (failed) throw failed[0];
    const version = Number(results[results.length - 1][1]);
    await this.redis.waitForReplicas();
    await this.redis.client.publish(this.channel, String(version));
    // Read-your-writes on this replica: in-memory views are rebuilt before the write returns.
    await this.observe(version);
    return results.slice(0, -1);
  }

  async currentVersion(): Promise<number> {
    return Number((await this.redis.client.get(this.versionKey)) ?? 0);
  }

  private async check(): Promise<void> {
    try {
      await this.observe(await this.currentVersion());
    } catch {
      // Redis unreachable: the in-memory view stays as it is until Redis returns.
    }
  }

  /** Runs the listeners for a new version; for the version already seen, the same run (so callers can await it). */
  private observe(version: number): Promise<void> {
    if (!Number.isFinite(version)) return Promise.resolve();
    if (version === this.seen) return this.notified;
    this.seen = version;
    this.notified = Promise.all(
      [...this.listeners].map((listener) =>
        Promise.resolve(listener(version)).catch((e: Error) =>
          this.logger.error(`config listener failed: ${e.message}`),
        ),
      ),
    ).then(() => undefined);
    return this.notified;
  }
}
