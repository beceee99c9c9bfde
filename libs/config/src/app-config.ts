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

export interface AcmeSettings {
  productionUrl: string;
  stagingUrl: string;
  caBundlePath?: string;
  skipChallengeVerification: boolean;
}

export interface RenewalSettings {
  thresholdDays: number;
  checkMs: number;
  retryMs: number;
}

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

  get storageEncryptionKey(): string | undefined {
    return this.env.STORAGE_ENCRYPTION_KEY;
  }
  get acme(): AcmeSettings {
    return {
      productionUrl: this.env.ACME_DIRECTORY_URL,
      stagingUrl: this.env.ACME_STAGING_URL,
      caBundlePath: this.env.ACME_CA_BUNDLE,
      skipChallengeVerification: this.env.ACME_SKIP_CHALLENGE_VERIFICATION,
    };
  }
  get renewal(): RenewalSettings {
    return {
      thresholdDays: this.env.RENEWAL_THRESHOLD_DAYS,
      checkMs: this.env.RENEWAL_CHECK_SECONDS * 1000,
      retryMs: this.env.RENEWAL_RETRY_SECONDS * 1000,
    };
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
