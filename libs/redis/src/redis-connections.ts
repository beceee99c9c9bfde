import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import Redis, { Cluster, RedisOptions } from 'ioredis';
import { AppConfig, RedisTopology } from '@app/config';
import { CoalescedRun } from './coalesced-run';

export type RedisClient = Redis | Cluster;

/** A pub/sub channel's handlers: each message, and a catch-up after every (re)subscription. */
export interface ChannelHandlers {
  message(message: string): void;
  /**
   * Called once the channel is subscribed again after the subscriber connection moved or
   * reconnected: messages published in between are lost, so re-read what they announce.
   */
  resubscribed(): void | Promise<void>;
}

/**
 * Owns every Redis connection of the process: one for commands, one for subscriptions (a
 * subscribed connection cannot run commands). Closed on shutdown.
 */
@Injectable()
export class RedisConnections implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisConnections.name);
  readonly client: RedisClient;
  readonly subscriber: RedisClient;

  private readonly waitReplicas: number;
  private closing = false;
  private readonly channels = new Map<string, ChannelHandlers>();
  private readonly resubscribing = new CoalescedRun(() => this.resubscribeAll());

  private readonly topology: RedisTopology;

  constructor(config: AppConfig) {
    this.topology = config.redis;
    this.waitReplicas = config.redisWaitReplicas;
    this.client = connect(config.redis, 'commands');
    this.subscriber = connect(config.redis, 'subscriber');
    for (const [role, connection] of [
      ['commands', this.client],
      ['subscriber', this.subscriber],
    ] as const) {
      let lastError = '';
      connection.on('error', (error: Error) => {
        // ioredis retries forever; log each distinct error once rather than every retry.
        if (error.message !== lastError) this.logger.warn(`redis ${role} connection: ${error.message}`);
        lastError = error.message;
      });
      connection.on('ready', () => {
        if (lastError) this.logger.log(`redis ${role} connection restored`);
        lastError = '';
      });
    }
    this.subscriber.on('message', (channel: string, message: string) => this.channels.get(channel)?.message(message));
    // Standalone / Sentinel: ioredis re-subscribes after a reconnect, but messages published while
    // it was away are lost. Cluster: ioredis's subscriber connection goes to one node and MOVES to
    // another when that node leaves the pool ('-node'; e.g. the first slot refresh on a young cluster
    // drops replicas that CLUSTER SLOTS does not list yet, or a failover): it re-subscribes only the
    // channels the old node had already confirmed, and nothing published in between arrives. So on
    // every (re)connect and node change: SUBSCRIBE again (idempotent), then let each channel catch up.
    this.subscriber.on('ready', () => void this.resubscribing.run());
    if (this.subscriber instanceof Cluster) {
      // setImmediate: ioredis moves its subscriber in its own listener of the same event, after ours.
      for (const event of ['-node', '+node'])
        this.subscriber.on(event, () => setImmediate(() => void this.resubscribing.run()));
    }
  }

  /**
   * Subscribes `channel` on the subscriber connection; resolves once Redis confirmed it (so a
   * message published after this resolves reaches `handlers.message`). Keeps it subscribed across
   * reconnects and Cluster node changes, calling `handlers.resubscribed` after each.
   */
  async subscribe(channel: string, handlers: ChannelHandlers): Promise<void> {
    this.channels.set(channel, handlers);
    try {
      await this.subscriber.subscribe(channel);
    } catch (error) {
      // E.g. the Cluster subscriber connection moved while SUBSCRIBE was in flight: try again.
      if (this.closing) return;
      this.logger.warn(`subscribe ${channel} failed, retrying in 1 s: ${(error as Error).message}`);
      setTimeout(() => void this.resubscribing.run(), 1000).unref();
    }
  }

  private async resubscribeAll(): Promise<void> {
    if (this.channels.size === 0 || this.closing) return;
    try {
      await this.subscriber.subscribe(...this.channels.keys());
    } catch (error) {
      if (this.closing) return;
      this.logger.warn(
        `re-subscribe failed (retried on the next reconnect or node change): ${(error as Error).message}`,
      );
      return;
    }
    await Promise.all(
      [...this.channels.entries()].map(([channel, handlers]) =>
        Promise.resolve()
          .then(() => handlers.resubscribed())
          .catch((e: Error) => this.logger.warn(`catching up on ${channel} failed: ${e.message}`)),
      ),
    );
  }

  /**
   * With REDIS_WAIT_REPLICAS, waits (at most 1 s) until that many replicas acknowledged every write
   * this connection made so far, so a Sentinel failover right after it does not lose it. Called after
   * configuration commits and workflow events. Not on Cluster (WAIT has no key to route it to the
   * slot's primary); Cluster deployments rely on the replicas' asynchronous copy.
   */
  async waitForReplicas(): Promise<void> {
    const client = this.client;
    if (this.waitReplicas <= 0 || client instanceof Cluster) return;
    const acknowledged = await client.wait(this.waitReplicas, 1000);
    if (acknowledged < this.waitReplicas)
      this.logger.warn(`write reached ${acknowledged} of ${this.waitReplicas} Redis replicas within 1 s`);
  }

  /**
   * A connection of the caller's own (it closes it), with a command timeout and no offline queue:
   * while Redis is away its commands fail at once instead of waiting (the rate limiter's).
   */
  openDedicated(role: string, options: { commandTimeoutMs: number }): RedisClient {
    return connect(this.topology, role, { commandTimeout: options.commandTimeoutMs, enableOfflineQueue: false });
  }

  get isCluster(): boolean {
    return this.client instanceof Cluster;
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    await Promise.all([this.client, this.subscriber].map((c) => c.quit().catch(() => c.disconnect())));
  }
}

const common: RedisOptions = {
  // Fail commands after a few seconds of outage instead of queueing them for minutes.
  maxRetriesPerRequest: 3,
  retryStrategy: (times) => Math.min(times * 200, 2000),
  connectTimeout: 5000,
  lazyConnect: false,
};

function connect(topology: RedisTopology, role: string, extra: RedisOptions = {}): RedisClient {
  const connectionName = `proxy-${role}`;
  switch (topology.kind) {
    case 'standalone': {
      const options: RedisOptions = { ...common, ...extra, connectionName };
      if (topology.password && !new URL(topology.url).password) options.password = topology.password;
      return new Redis(topology.url, options);
    }
    case 'sentinel':
      return new Redis({
        ...common,
        ...extra,
        connectionName,
        sentinels: topology.sentinels,
        name: topology.name,
        password: topology.password,
        sentinelPassword: topology.sentinelPassword,
      });
    case 'cluster':
      return new Cluster(topology.nodes, {
        clusterRetryStrategy: (times) => Math.min(times * 200, 2000),
        enableOfflineQueue: extra.enableOfflineQueue ?? true,
        redisOptions: { ...common, ...extra, connectionName, password: topology.password },
      });
  }
}
