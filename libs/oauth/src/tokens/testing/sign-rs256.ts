import { createSign, KeyObject } from 'node:crypto';

/**
 * For specs only: signs a compact RS256 JWS by hand with node:crypto, so the specs mint their
 * tokens (another key, another kid, any claims) without going through the library under test.
 */
export function signRs256(claims: object, key: KeyObject, kid: string): string {
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid })).toString('base64url');
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(key).toString('base64url');
  return `${header}.${payload}.${signature}`;
}
