import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { canonicalResource } from '../protocol/resource';
import { AccessTokenClaims, AccessTokenJwt } from './jwt';
import { RevokedTokens } from './revoked-tokens';

export interface AccessRequirements {
  /**
   * The protected resource (canonical URI, e.g. https://mcp.example.com/mcp) the token must name in
   * `aud`. With neither this nor `allowedAudiences` the audience is not checked: always pass it.
   */
  resource?: string;
  /** Further audiences accepted (a target's `allowed_audiences`). */
  allowedAudiences?: readonly string[];
  /** Scopes the request needs, all of them. */
  requiredScopes?: readonly string[];
  /** GitHub logins allowed here, or '*' (default). */
  allowedUsers?: '*' | readonly string[];
  /** Prefix of the identity headers; default `X-Auth-`. */
  headerPrefix?: string;
}

export type AccessDecision =
  | { allowed: true; claims: AccessTokenClaims; headers: Record<string, string> }
  | {
      allowed: false;
      status: 401 | 403;
      /** RFC 6750 error for WWW-Authenticate (`access_denied` when the user is not on the list). */
      error: 'invalid_token' | 'insufficient_scope' | 'access_denied';
      description: string;
    };

/** How many verified tokens are remembered (by their exact string); the oldest goes first. */
export const VERIFIED_TOKENS_MAX = 5000;

/** A token whose signature, `alg`, `kid`, `iss` and claim types were checked: what the cache keeps. */
interface VerifiedToken {
  claims: AccessTokenClaims;
  /** `exp` in milliseconds. */
  expiresAt: number;
}

/**
 * Verifies our access tokens in process, without any Redis read: RS256 only, our `kid`, `iss`,
 * `exp`, `aud` against the resource, not revoked (in-memory list, see RevokedTokens), scopes, and
 * user allowlist. Meant for the dispatcher's forward-auth and `/verify`.
 *
 * The expensive part (AccessTokenJwt: RSA signature, base64/JSON decoding) is done once per token: a token that
 * passed it is remembered by its exact string (so the same bytes, signature included) in a bounded
 * map, VERIFIED_TOKENS_MAX entries, oldest evicted first. The signing key and issuer are fixed for
 * the process, so a remembered verdict cannot go stale on them. Everything that can change, or
 * differs per request, is checked on every call, cached or not: expiry against `now` (an entry is
 * dropped once expired, never served past `exp`), the revocation list (a jti revoked after the token
 * was cached is refused on the next request), audience, scopes and the user allowlist.
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly issuer: string;
  private readonly verified = new Map<string, VerifiedToken>();
  /** Canonical forms of audience strings (a pure function of the string, bounded). */
  private readonly canonical = new Map<string, string>();

  constructor(
    private readonly jwt: AccessTokenJwt,
    private readonly revoked: RevokedTokens,
    config: AppConfig,
  ) {
    this.issuer = config.oauth.issuer;
  }

  /** Number of remembered tokens (for tests and metrics). */
  get cachedTokens(): number {
    return this.verified.size;
  }

  /**
   * Whether a token that was allowed before is still good now: not expired and not revoked (the
   * checks that change with time). For callers that remember a whole decision (ProtectionDecider).
   */
  stillValid(jti: string, exp: number, now = Date.now()): boolean {
    return exp * 1000 > now && !this.revoked.isRevoked(jti);
  }

  verify(token: string, requirements: AccessRequirements = {}, now = Date.now()): AccessDecision {
    let entry = this.verified.get(token);
    if (entry === undefined) {
      const checked = this.check(token);
      if ('problem' in checked) return deny(401, 'invalid_token', checked.problem);
      entry = checked;
      if (entry.expiresAt > now) this.remember(token, entry);
    }
    if (entry.expiresAt <= now) {
      this.verified.delete(token);
      return deny(401, 'invalid_token', 'the token has expired');
    }
    const claims = entry.claims;
    if (this.revoked.isRevoked(claims.jti)) return deny(401, 'invalid_token', 'the token has been revoked');

    const audiences = audiencesOf(claims.aud);
    const accepted: string[] = [];
    if (requirements.resource) accepted.push(this.canonicalOf(requirements.resource));
    for (const a of requirements.allowedAudiences ?? []) if (a) accepted.push(this.canonicalOf(a));
    if (
      accepted.length > 0 &&
      !audiences.some((a) => typeof a === 'string' && accepted.includes(this.canonicalOf(a)))
    ) {
      return deny(401, 'invalid_token', 'the token was issued for another resource (aud)');
    }
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [];
    const missing = (requirements.requiredScopes ?? []).filter((s) => !scopes.includes(s));
    if (missing.length > 0) return deny(403, 'insufficient_scope', `the token lacks scope ${missing.join(' ')}`);

    const login = typeof claims.login === 'string' ? claims.login : '';
    const allowedUsers = requirements.allowedUsers ?? '*';
    if (
      allowedUsers !== '*' &&
      !allowedUsers.includes('*') &&
      !allowedUsers.some((u) => u.toLowerCase() === login.toLowerCase())
    ) {
      return deny(403, 'access_denied', `user ${login || claims.sub} is not allowed here`);
    }
    const prefix = requirements.headerPrefix ?? 'X-Auth-';
    const headers: Record<string, string> = {
      [`${prefix}User-Id`]: claims.sub,
      [`${prefix}User-Name`]: login,
      [`${prefix}Scopes`]: scopes.join(' '),
      [`${prefix}Client-Id`]: claims.client_id,
    };
    if (typeof claims.email === 'string') headers[`${prefix}User-Email`] = claims.email;
    return { allowed: true, claims, headers };
  }

  /** The per-token checks: signature, header, issuer, claim types (not expiry: that depends on `now`). */
  private check(token: string): VerifiedToken | { problem: string } {
    const checked = this.jwt.verify(token);
    if ('problem' in checked) {
      const why = {
        malformed: 'the token is not a well-formed JWT',
        algorithm: 'the token is not signed with RS256',
        key: 'the token was signed with an unknown key',
        signature: 'the token signature is invalid',
      }[checked.problem];
      return { problem: why };
    }
    const claims = checked.payload as Partial<AccessTokenClaims>;
    if (claims.iss !== this.issuer) return { problem: 'the token was issued by another authorization server' };
    if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) return { problem: 'the token has expired' };
    if (typeof claims.jti !== 'string' || typeof claims.sub !== 'string' || typeof claims.client_id !== 'string')
      return { problem: 'the token lacks required claims' };
    return { claims: Object.freeze(claims) as AccessTokenClaims, expiresAt: claims.exp * 1000 };
  }

  private remember(token: string, entry: VerifiedToken): void {
    if (this.verified.size >= VERIFIED_TOKENS_MAX) {
      // Oldest first (Map keeps insertion order); expired entries are also dropped on their next use.
      const oldest = this.verified.keys().next().value;
      if (oldest !== undefined) this.verified.delete(oldest);
    }
    this.verified.set(token, entry);
  }

  private canonicalOf(uri: string): string {
    let c = this.canonical.get(uri);
    if (c === undefined) {
      c = safeCanonical(uri);
      if (this.canonical.size >= 1000) this.canonical.clear();
      this.canonical.set(uri, c);
    }
    return c;
  }
}

function deny(
  status: 401 | 403,
  error: 'invalid_token' | 'insufficient_scope' | 'access_denied',
  description: string,
): AccessDecision {
  return { allowed: false, status, error, description };
}

/** The `aud` claim as a list (a single audience may be a string); none when it is neither. */
function audiencesOf(aud: AccessTokenClaims['aud']): string[] {
  if (Array.isArray(aud)) return aud;
  if (typeof aud === 'string') return [aud];
  return [];
}

function safeCanonical(uri: string): string {
  try {
    return canonicalResource(uri);
  } catch {
    return uri;
  }
}
