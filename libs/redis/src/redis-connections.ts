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

  constructor(config: AppConfig) {
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
