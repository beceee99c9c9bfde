import { oauthError } from './oauth-error';

export function parseScope(raw: unknown): string[] {
  if (raw === undefined || raw === null || raw === '') return [];
  if (typeof raw !== 'string') throw oauthError('invalid_scope', 'scope must be a space-separated string');
  return [...new Set(raw.split(' ').filter(Boolean))];
}

/** Requested scopes, each of which must be one the server grants; none asked means all of `fallback`. */
export function grantableScopes(
  requested: string[],
  supported: readonly string[],
  fallback: readonly string[],
): string[] {
  if (requested.length === 0) return [...fallback];
  const unknown = requested.filter((s) => !supported.includes(s));
  if (unknown.length > 0)
    throw oauthError(
      'invalid_scope',
      `unknown scope${unknown.length > 1 ? 's' : ''}: ${unknown.join(' ')} (supported: ${supported.join(' ')})`,
    );
  return requested;
}

/**
 * Step-up: the scopes asked now plus those granted before for every one of the token's resources
 * (`previous`, one list per resource: a scope granted for one resource never reaches another), kept
 * only while the user's consent for the client (`consented`) and the server (`supported`) still allow them.
 */
export function accumulatedScopes(
  requested: readonly string[],
  previous: readonly (readonly string[])[],
  consented: readonly string[],
  supported: readonly string[],
): string[] {
  const [first = [], ...rest] = previous;
  const everywhere = first.filter((s) => rest.every((list) => list.includes(s)));
  const kept = everywhere.filter((s) => !requested.includes(s) && consented.includes(s) && supported.includes(s));
  return [...requested, ...kept];
}
