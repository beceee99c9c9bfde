import { Injectable } from '@nestjs/common';
import { Environment, LogLevel } from './environment';
import { version } from '../../../package.json';

export interface HostPort {
  host: string;
  port: number;
}

export type RedisTopology =
  | { kind: 'standalone'; url: string; password?: string }
  | { kind: 'sentinel'; sentinels: HostPort[]; name: string; password?: string; sentinelPassword?: string; url?: string }
  | { kind: 'cluster'; nodes: HostPort[]; password?: string };

/** Typed, validated configuration. The only way code reads settings (never `process.env`). */
@Injectable()
export class AppConfig {
  readonly version: string = version;

  constructor(readonly env: Environment) {}

  get adminToken(): string {
    return this.env.ADMIN_TOKEN;
  }
  get adminEmail(): string | undefined {
    return this.env.ADMIN_EMAIL;
  }
  get baseDomain(): string {
    return this.env.BASE_DOMAIN;
  }
  get logLevel(): LogLevel {
    return this.env.LOG_LEVEL;
  }
  get httpPort(): number {
    return this.env.HTTP_PORT;
  }
  get httpsPort(): number {
    return this.env.HTTPS_PORT;
  }
  get apiPort(): number {
    return this.env.API_PORT;
  }
  get apiBind(): string {
    return this.env.API_BIND;
  }
  get apiBodyLimit(): number {
    return this.env.API_BODY_LIMIT;
  }
  get redisKeyPrefix(): string {
    return this.env.REDIS_KEY_PREFIX;
  }
  get configPollMs(): number {
    return this.env.CONFIG_POLL_SECONDS * 1000;
  }

  get logRetentionMs(): number {
    return this.env.LOG_RETENTION_HOURS * 3_600_000;
  }
  get logMaxEntries(): number {
    return this.env.LOG_MAX_ENTRIES;
  }
  get logBufferEntries(): number {
    return this.env.LOG_BUFFER_ENTRIES;
  }
  get metricsToken(): string | undefined {
    return this.env.METRICS_TOKEN;
  }

  get redis(): RedisTopology {
    const password = this.env.REDIS_PASSWORD;
    if (this.env.REDIS_CLUSTER_NODES) {
      return { kind: 'cluster', nodes: parseHostPorts(this.env.REDIS_CLUSTER_NODES), password };
    }
    if (this.env.REDIS_SENTINELS) {
      return {
        kind: 'sentinel',
        sentinels: parseHostPorts(this.env.REDIS_SENTINELS),
        name: this.env.REDIS_SENTINEL_NAME ?? '',
        password,
        sentinelPassword: this.env.REDIS_SENTINEL_PASSWORD,
        url: this.env.REDIS_URL,
      };
    }
    return { kind: 'standalone', url: this.env.REDIS_URL ?? 'redis://127.0.0.1:6379', password };
  }
}

function parseHostPorts(list: string): HostPort[] {
  return list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const at = entry.lastIndexOf(':');
      return { host: entry.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(entry.slice(at + 1)) };
    });
}
