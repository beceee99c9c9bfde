import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import Redis, { Cluster, RedisOptions } from 'ioredis';
import { AppConfig, RedisTopology } from '@app/config';

export type RedisClient = Redis | Cluster;

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

  constructor(config: AppConfig) {
    this.waitReplicas = config.redisWaitReplicas;
    this.client = connect(config.redis, 'commands');
    this.subscriber = connect(config.redis, 'subscriber');
    for (const [role, connection] of [['commands', this.client], ['subscriber', this.subscriber]] as const) {
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
    if (acknowledged < this.waitReplicas) this.logger.warn(`write reached ${acknowledged} of ${this.waitReplicas} Redis replicas within 1 s`);
  }

  get isCluster(): boolean {
    return this.client instanceof Cluster;
  }

  async onApplicationShutdown(): Promise<void> {
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

function connect(topology: RedisTopology, role: string): RedisClient {
  const connectionName = `proxy-${role}`;
  switch (topology.kind) {
    case 'standalone': {
      const options: RedisOptions = { ...common, connectionName };
      if (topology.password && !new URL(topology.url).password) options.password = topology.password;
      return new Redis(topology.url, options);
    }
    case 'sentinel':
      return new Redis({
        ...common,
        connectionName,
        sentinels: topology.sentinels,
        name: topology.name,
        password: topology.password,
        sentinelPassword: topology.sentinelPassword,
      });
    case 'cluster':
      return new Cluster(topology.nodes, {
        clusterRetryStrategy: (times) => Math.min(times * 200, 2000),
        redisOptions: { ...common, connectionName, password: topology.password },
      });
  }
}
