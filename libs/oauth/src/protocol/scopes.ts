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
