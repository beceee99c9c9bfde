import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { StorageCrypto } from '@app/crypto';
import { RedisConnections, RedisKeys } from '@app/redis';
import { GithubToken } from './github-login';

/**
 * The user's GitHub token, kept so memberships can be read again at a refresh, sealed with
 * STORAGE_ENCRYPTION_KEY (AES-256-GCM, the key name as associated data) at
 * `oauth:github-token:<github id>`: `{token, scopes}` (the scopes GitHub granted). Replaced at each
 * sign-in; its TTL (at least the refresh token's) restarts at each use. Never logged. Without the
 * storage key nothing is kept: memberships are then read only at sign-in.
 */
@Injectable()
export class GithubTokenStore {
  private readonly logger = new Logger(GithubTokenStore.name);
  private warned = false;

  constructor(
    private readonly redis: RedisConnections,
    private readonly keys: RedisKeys,
    private readonly crypto: StorageCrypto,
    private readonly config: AppConfig,
  ) {}

  private key(githubId: string): string {
    return this.keys.key('oauth', 'github-token', githubId);
  }

  private get ttl(): number {
    const { refreshTokenTtl, sessionTtl } = this.config.oauth;
    return Math.max(refreshTokenTtl, sessionTtl);
  }

  async save(githubId: string, github: GithubToken): Promise<void> {
    if (!this.crypto.configured) {
      if (!this.warned)
        this.logger.warn(
          'STORAGE_ENCRYPTION_KEY is not set: GitHub tokens are not kept, so memberships are read again only at sign-in',
        );
      this.warned = true;
      return;
    }
    const key = this.key(githubId);
    const sealed = this.crypto.seal(JSON.stringify({ token: github.token, scopes: github.scopes }), key);
    await this.redis.client.set(key, sealed, 'EX', this.ttl);
  }

  /** The stored token (its TTL restarts), or null when none is kept or it does not open. */
  async take(githubId: string): Promise<GithubToken | null> {
    if (!this.crypto.configured) return null;
    const key = this.key(githubId);
    const sealed = await this.redis.client.getex(key, 'EX', this.ttl);
    if (sealed === null) return null;
    try {
      const value = JSON.parse(this.crypto.open(sealed, key)) as { token?: unknown; scopes?: unknown };
      if (typeof value.token !== 'string' || !Array.isArray(value.scopes)) return null;
      return { token: value.token, scopes: value.scopes.filter((s): s is string => typeof s === 'string') };
    } catch {
      // Another STORAGE_ENCRYPTION_KEY or a damaged value: as if none were kept (the user signs in again).
      this.logger.warn(`the stored GitHub token of user ${githubId} does not open; it is dropped`);
      await this.forget(githubId);
      return null;
    }
  }

  async forget(githubId: string): Promise<void> {
    await this.redis.client.del(this.key(githubId));
  }
}
