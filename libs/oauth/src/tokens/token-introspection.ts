import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { OAuthClientRecord } from '../clients/oauth-client.record';
import { Form, formString as str } from '../protocol/form';
import { oauthError } from '../protocol/oauth-error';
import { GrantsRepository } from './grants.repository';
import { AccessTokenJwt } from './jwt';
import { RevokedTokens } from './revoked-tokens';
import { REFRESH_TOKEN_PREFIX, secretHash } from './token-issuer';

/** RFC 7662 at /introspect: what a token is, for those allowed to see it. */
@Injectable()
export class TokenIntrospection {
  constructor(
    private readonly grants: GrantsRepository,
    private readonly revoked: RevokedTokens,
    private readonly jwt: AccessTokenJwt,
    private readonly config: AppConfig,
  ) {}

  /**
   * RFC 7662. A confidential client sees its own tokens; `admin` callers (API token) see all.
   * Anything unknown, expired, revoked or not visible is `{ active: false }`.
   */
  async introspect(
    body: Form,
    caller: { client?: OAuthClientRecord; admin?: boolean },
  ): Promise<Record<string, unknown>> {
    const token = str(body.token);
    if (!token) throw oauthError('invalid_request', 'token is required');
    const visible = (clientId: string) => caller.admin || caller.client?.client_id === clientId;
    if (token.startsWith(REFRESH_TOKEN_PREFIX)) {
      const family = await this.grants.familyOfRefresh(secretHash(token));
      const grant = family ? await this.grants.find(family) : null;
      const until = grant?.active[secretHash(token)];
      if (!grant || until === undefined || (until !== 0 && until < Date.now()) || !visible(grant.client_id))
        return { active: false };
      return {
        active: true,
        token_type: 'refresh_token',
        client_id: grant.client_id,
        scope: grant.scopes.join(' '),
        sub: grant.user.id,
        username: grant.user.login,
        iss: this.config.oauth.issuer,
      };
    }
    const checked = this.jwt.verify(token);
    if ('problem' in checked) return { active: false };
    const c = checked.payload as Record<string, unknown>;
    if (c.iss !== this.config.oauth.issuer || typeof c.exp !== 'number' || c.exp * 1000 <= Date.now())
      return { active: false };
    if (
      typeof c.jti !== 'string' ||
      this.revoked.isRevoked(c.jti) ||
      typeof c.client_id !== 'string' ||
      !visible(c.client_id)
    )
      return { active: false };
    return {
      active: true,
      token_type: 'Bearer',
      scope: c.scope,
      client_id: c.client_id,
      sub: c.sub,
      username: c.login,
      aud: c.aud,
      iss: c.iss,
      exp: c.exp,
      iat: c.iat,
      jti: c.jti,
      ...(Array.isArray(c.orgs) ? { orgs: c.orgs } : {}),
      ...(Array.isArray(c.teams) ? { teams: c.teams } : {}),
    };
  }
}
