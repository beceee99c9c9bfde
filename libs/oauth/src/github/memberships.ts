import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { RedisConnections, RedisKeys } from '@app/redis';
import { GithubToken, READ_ORG } from './github-login';
import { GithubMembershipList, GithubMemberships, GithubTokenRevoked } from './github-memberships';
import { GithubTokenStore } from './github-token-store';

/** Memberships as read from GitHub at `checked_at` (epoch ms); trusted until `checked_at` + the membership TTL. */
export interface Membership extends GithubMembershipList {
  checked_at: number;
}

/**
 * What is known of a user's memberships now. Unknown: no GitHub token is kept (`no-token`), the
 * kept one lacks read:org (`no-read-org`), or GitHub failed (`github-failed`): no membership, and
 * nothing was cached for it.
 */
export type MembershipLookup =
  { known: true; membership: Membership } | { known: false; why: 'no-token' | 'no-read-org' | 'github-failed' };

/**
 * A user's GitHub organisation and team memberships, cached at `oauth:github-membership:<github id>`
 * (`{orgs, teams, checked_at}`, TTL OAUTH_GITHUB_MEMBERSHIP_TTL_SECONDS). At sign-in they are read
 * with the fresh GitHub token; later (a reused sign-in, a refresh) the cache answers while more than
 * half its TTL is left, else they are read again with the kept token (GithubTokenStore), so tokens
 * capped at `checked_at` + TTL are not uselessly short. GitHub answering 401 (token revoked) means
 * no membership (cached, the token dropped); any other failure means no membership for this
 * issuance, not cached, unless a cached entry is still within its TTL.
 */
@Injectable()
export class Memberships {
  private readonly logger = new Logger(Memberships.name);

  constructor(
    private readonly github: GithubMemberships,
    private readonly tokens: GithubTokenStore,
    private readonly redis: RedisConnections,
    private readonly keys: RedisKeys,
    private readonly config: AppConfig,
  ) {}

  private get ttlMs(): number {
    return this.config.oauth.membershipTtl * 1000;
  }

  /** At sign-in: read from GitHub with the token just obtained. */
  async readFresh(githubId: string, token: GithubToken): Promise<MembershipLookup> {
    return this.read(githubId, token, await this.cached(githubId));
  }

  /** For a reused sign-in or a refresh: the cache while it is fresh enough, else GitHub with the kept token. */
  async current(githubId: string): Promise<MembershipLookup> {
    const cached = await this.cached(githubId);
    if (cached && cached.checked_at + this.ttlMs - Date.now() > this.ttlMs / 2)
      return { known: true, membership: cached };
    const token = await this.tokens.take(githubId);
    if (!token) return cached ? { known: true, membership: cached } : { known: false, why: 'no-token' };
    return this.read(githubId, token, cached);
  }

  private async read(githubId: string, token: GithubToken, cached: Membership | null): Promise<MembershipLookup> {
    if (!token.scopes.includes(READ_ORG))
      return cached ? { known: true, membership: cached } : { known: false, why: 'no-read-org' };
    try {
      const list = await this.github.read(token.token);
      return { known: true, membership: await this.save(githubId, list) };
    } catch (error) {
      if (error instanceof GithubTokenRevoked) {
        this.logger.warn(`GitHub refused the token of user ${githubId} (revoked): no organisation or team membership`);
        await this.tokens.forget(githubId);
        return { known: true, membership: await this.save(githubId, { orgs: [], teams: [] }) };
      }
      // The message names the path and status only, never the token.
      this.logger.warn(
        `GitHub memberships of user ${githubId} could not be read (${(error as Error).message}); ${cached ? 'the cached ones still hold' : 'no membership for now'}`,
      );
      return cached ? { known: true, membership: cached } : { known: false, why: 'github-failed' };
    }
  }

  private key(githubId: string): string {
    return this.keys.key('oauth', 'github-membership', githubId);
  }

  private async save(githubId: string, list: GithubMembershipList): Promise<Membership> {
    const membership: Membership = { orgs: list.orgs, teams: list.teams, checked_at: Date.now() };
    await this.redis.client.set(this.key(githubId), JSON.stringify(membership), 'PX', this.ttlMs);
    return membership;
  }

  /** The cached entry while within its TTL (a damaged one counts as none). */
  private async cached(githubId: string): Promise<Membership | null> {
    const raw = await this.redis.client.get(this.key(githubId));
    if (raw === null) return null;
    try {
      const m = JSON.parse(raw) as Partial<Membership>;
      const strings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string');
      if (!strings(m.orgs) || !strings(m.teams) || typeof m.checked_at !== 'number') return null;
      if (m.checked_at + this.ttlMs <= Date.now()) return null;
      return m as Membership;
    } catch {
      return null;
    }
  }
}
