import { createSign, createVerify, KeyObject } from 'node:crypto';

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
}

export function signRs256(claims: object, key: KeyObject, kid: string): string {
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid })).toString('base64url');
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(key).toString('base64url');
  return `${header}.${payload}.${signature}`;
}

export type JwtProblem = 'malformed' | 'algorithm' | 'key' | 'signature';

/**
 * Checks the compact JWS strictly: three base64url parts, header `alg` exactly RS256 (so `none` and
 * HS256 signed with the public key are refused before any crypto), `kid` ours, RSA-SHA256 signature.
 * Returns the payload or the reason it was refused.
 */
export function verifyRs256(
  token: string,
  key: KeyObject,
  kid: string,
): { payload: Record<string, unknown> } | { problem: JwtProblem } {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p)) || !parts[2])
    return { problem: 'malformed' };
  let header: Record<string, unknown>;
  let payload: unknown;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as Record<string, unknown>;
    payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    return { problem: 'malformed' };
  }
  if (
    typeof header !== 'object' ||
    header === null ||
    typeof payload !== 'object' ||
    payload === null ||
    Array.isArray(payload)
  )
    return { problem: 'malformed' };
  if (header.alg !== 'RS256') return { problem: 'algorithm' };
  if (header.kid !== kid) return { problem: 'key' };
  const ok = createVerify('RSA-SHA256')
    .update(`${parts[0]}.${parts[1]}`)
    .verify(key, Buffer.from(parts[2], 'base64url'));
  return ok ? { payload: payload as Record<string, unknown> } : { problem: 'signature' };
}
