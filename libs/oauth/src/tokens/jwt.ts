import { Injectable } from '@nestjs/common';
import { JsonWebTokenError, JwtModuleOptions, JwtSecretRequestType, JwtService } from '@nestjs/jwt';
import { OAuthSigningKey } from './signing-key';

/** The claims of our access tokens. */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  scope: string;
  client_id: string;
  exp: number;
  iat: number;
  jti: string;
  /** GitHub login, name and e-mail of the user. */
  login: string;
  name?: string;
  email?: string;
  /**
   * The user's GitHub organisations and teams (`org/team-slug`), lower-case, among those named
   * globally or for the token's audience; present when they were read for it (`exp` is then at most
   * their reading + OAUTH_GITHUB_MEMBERSHIP_TTL_SECONDS). Absent: no membership.
   */
  orgs?: string[];
  teams?: string[];
}

export type JwtProblem = 'malformed' | 'algorithm' | 'key' | 'signature';

/** Thrown by the key lookup for a `kid` that is not ours; reported as the `key` problem. */
class UnknownSigningKey extends Error {}

/**
 * JwtModule options for our access tokens: RS256 pinned both ways, header `{ alg, typ: at+jwt, kid }`,
 * the verifying key chosen by the token's `kid` (OAuthSigningKey.publicKeyFor). Expiry is checked by
 * the callers against their own clock (the verifier caches verdicts and re-checks `exp` per request).
 */
export function accessTokenJwtOptions(key: OAuthSigningKey): JwtModuleOptions {
  return {
    secretOrKeyProvider: (type, token) => {
      if (type === JwtSecretRequestType.SIGN) return key.privateKey;
      const header = headerOf(token);
      // A foreign alg is left to the algorithms pin, so it is refused as such before its kid.
      if (header?.alg !== 'RS256') return key.publicKey;
      const publicKey = key.publicKeyFor(header.kid);
      if (!publicKey) throw new UnknownSigningKey();
      return publicKey;
    },
    signOptions: { algorithm: 'RS256', keyid: key.kid, header: { alg: 'RS256', typ: 'at+jwt' } },
    verifyOptions: { algorithms: ['RS256'], ignoreExpiration: true },
  };
}

/**
 * Signs and checks the compact JWS of our access tokens through JwtService. `verify` answers the
 * payload, or why the token was refused: `malformed` (not three base64url parts, no signature, not
 * JSON, payload not an object), `algorithm` (anything but RS256: `none`, HS256 keyed with the
 * public key), `key` (a `kid` we do not have), `signature`. Claims are the callers' to check.
 */
@Injectable()
export class AccessTokenJwt {
  constructor(private readonly jwt: JwtService) {}

  sign(claims: AccessTokenClaims): string {
    return this.jwt.sign(claims);
  }

  verify(token: string): { payload: Record<string, unknown> } | { problem: JwtProblem } {
    let payload: unknown;
    try {
      payload = this.jwt.verify<object>(token);
    } catch (error) {
      return { problem: problemOf(error) };
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return { problem: 'malformed' };
    return { payload: payload as Record<string, unknown> };
  }
}

function problemOf(error: unknown): JwtProblem {
  if (error instanceof UnknownSigningKey) return 'key';
  if (error instanceof JsonWebTokenError && error.message === 'invalid algorithm') return 'algorithm';
  if (error instanceof JsonWebTokenError && error.message === 'invalid signature') return 'signature';
  return 'malformed';
}

/** The JOSE header of a compact token, or undefined when it does not decode to an object. */
function headerOf(token: unknown): { alg?: unknown; kid?: unknown } | undefined {
  if (typeof token !== 'string') return undefined;
  try {
    const header: unknown = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null ? header : undefined;
  } catch {
    return undefined;
  }
}
