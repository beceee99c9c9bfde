import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { AppConfig } from '@app/config';
import { OAuthUser } from '../flow/flow.records';
import { AccessTokenClaims, AccessTokenJwt } from './jwt';

export const REFRESH_TOKEN_PREFIX = 'rt_';
export const CODE_PREFIX = 'ac_';

export const secretHash = (value: string) => createHash('sha256').update(value).digest('hex');
export const newSecret = (prefix: string) => prefix + randomBytes(32).toString('base64url');

/** `aud`: the resources the token is for (one as a string), or the issuer itself when none was asked for. */
function audienceClaim(resources: string[], issuer: string): string | string[] {
  if (resources.length === 0) return issuer;
  if (resources.length === 1) return resources[0];
  return resources;
}

/** The `orgs` / `teams` claims (lower-case) of an access token, and when they stop being trusted (epoch seconds). */
export interface TokenMembership {
  orgs: readonly string[];
  teams: readonly string[];
  notAfter?: number;
}

/** Issues access tokens: our claims, the configured lifetime, signed by AccessTokenJwt (RS256, our kid). */
@Injectable()
export class TokenIssuer {
  constructor(
    private readonly jwt: AccessTokenJwt,
    private readonly config: AppConfig,
  ) {}

  /** `membership`: the `orgs` / `teams` claims, and `notAfter` (epoch s), which caps `exp`. */
  issueAccessToken(
    user: OAuthUser,
    clientId: string,
    scopes: string[],
    resources: string[],
    membership?: TokenMembership,
  ): { token: string; claims: AccessTokenClaims } {
    const { issuer, accessTokenTtl } = this.config.oauth;
    const iat = Math.floor(Date.now() / 1000);
    const claims: AccessTokenClaims = {
      iss: issuer,
      sub: user.id,
      aud: audienceClaim(resources, issuer),
      scope: scopes.join(' '),
      client_id: clientId,
      exp: Math.min(iat + accessTokenTtl, membership?.notAfter ?? Infinity),
      iat,
      jti: randomBytes(16).toString('base64url'),
      login: user.login,
      ...(user.name ? { name: user.name } : {}),
      ...(user.email ? { email: user.email } : {}),
      ...(membership ? { orgs: [...membership.orgs], teams: [...membership.teams] } : {}),
    };
    return { token: this.jwt.sign(claims), claims };
  }
}
