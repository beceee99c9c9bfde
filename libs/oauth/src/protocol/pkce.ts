import { createHash, timingSafeEqual } from 'node:crypto';
import { oauthError } from './oauth-error';

/** RFC 7636 code_verifier / S256 code_challenge: 43-128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
const CHALLENGE = /^[A-Za-z0-9\-_]{43}$/;

/** Checks the authorization request's PKCE parameters: S256 is mandatory, `plain` is refused. */
export function requireS256Challenge(challenge: string | undefined, method: string | undefined): string {
  if (!challenge) throw oauthError('invalid_request', 'code_challenge is required (PKCE with S256)');
  if (method !== 'S256')
    throw oauthError('invalid_request', `code_challenge_method must be S256${method ? ` (got "${method}")` : ''}`);
  if (!CHALLENGE.test(challenge))
    throw oauthError(
      'invalid_request',
      'code_challenge must be the base64url SHA-256 of the code_verifier (43 characters)',
    );
  return challenge;
}

export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** True when the verifier hashes to the challenge the code was bound to. */
export function verifierMatches(verifier: string | undefined, challenge: string): boolean {
  if (!verifier || !VERIFIER.test(verifier)) return false;
  const a = Buffer.from(s256(verifier));
  const b = Buffer.from(challenge);
  return a.length === b.length && timingSafeEqual(a, b);
}
