import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { canonicalResource } from '../protocol/resource';
import { AccessTokenClaims, verifyRs256 } from './jwt';
import { RevokedTokens } from './revoked-tokens';
import { OAuthSigningKey } from './signing-key';

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

/**
 * Verifies our access tokens in process, without any Redis read: RS256 only, our `kid`, `iss`,
 * `exp`, `aud` against the resource, not revoked (in-memory list, see RevokedTokens), scopes, and
 * user allowlist. Meant for the dispatcher's forward-auth and `/verify`.
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly issuer: string;

  constructor(
    private readonly key: OAuthSigningKey,
    private readonly revoked: RevokedTokens,
    config: AppConfig,
  ) {
    this.issuer = config.oauth.issuer;
  }

  verify(token: string, requirements: AccessRequirements = {}, now = Date.now()): AccessDecision {
    const deny = (status: 401 | 403, error: 'invalid_token' | 'insufficient_scope' | 'access_denied', description: string): AccessDecision => ({ allowed: false, status, error, description });
    const checked = verifyRs256(token, this.key.publicKey, this.key.kid);
    if ('problem' in checked) {
      const why = { malformed: 'the token is not a well-formed JWT', algorithm: 'the token is not signed with RS256', key: 'the token was signed with an unknown key', signature: 'the token signature is invalid' }[checked.problem];
      return deny(401, 'invalid_token', why);
    }
    const claims = checked.payload as Partial<AccessTokenClaims>;
    if (claims.iss !== this.issuer) return deny(401, 'invalid_token', 'the token was issued by another authorization server');
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now) return deny(401, 'invalid_token', 'the token has expired');
    if (typeof claims.jti !== 'string' || typeof claims.sub !== 'string' || typeof claims.client_id !== 'string') return deny(401, 'invalid_token', 'the token lacks required claims');
    if (this.revoked.isRevoked(claims.jti)) return deny(401, 'invalid_token', 'the token has been revoked');

    const audiences = Array.isArray(claims.aud) ? claims.aud : typeof claims.aud === 'string' ? [claims.aud] : [];
    const accepted = [requirements.resource, ...(requirements.allowedAudiences ?? [])].filter((a): a is string => !!a).map(safeCanonical);
    if (accepted.length > 0 && !audiences.some((a) => accepted.includes(safeCanonical(a)))) {
      return deny(401, 'invalid_token', 'the token was issued for another resource (aud)');
    }
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [];
    const missing = (requirements.requiredScopes ?? []).filter((s) => !scopes.includes(s));
    if (missing.length > 0) return deny(403, 'insufficient_scope', `the token lacks scope ${missing.join(' ')}`);

    const login = typeof claims.login === 'string' ? claims.login : '';
    const allowedUsers = requirements.allowedUsers ?? '*';
    if (allowedUsers !== '*' && !allowedUsers.includes('*') && !allowedUsers.some((u) => u.toLowerCase() === login.toLowerCase())) {
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
    return { allowed: true, claims: claims as AccessTokenClaims, headers };
  }
}

function safeCanonical(uri: string): string {
  try {
    return canonicalResource(uri);
  } catch {
    return uri;
  }
}
