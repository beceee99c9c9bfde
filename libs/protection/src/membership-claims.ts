import { NO_MEMBERSHIPS, type Memberships } from './target-auth.config';

/**
 * The `orgs` and `teams` claims of a verified access token (docs/oauth.md, "Organisations and
 * teams"): the memberships the authorization server read from GitHub for the token's resources.
 * A claim that is absent or anything but an array of strings is no membership at all (fail closed):
 * one bad entry voids the whole claim rather than letting the others through half-checked.
 * Lower-cased here too, so a token that spells `Acme` still matches a target's `acme`.
 */
export function membershipsOf(claims: object): Memberships {
  const { orgs, teams } = claims as { orgs?: unknown; teams?: unknown };
  if (orgs === undefined && teams === undefined) return NO_MEMBERSHIPS;
  return Object.freeze({ orgs: claimList(orgs), teams: claimList(teams) });
}

function claimList(value: unknown): readonly string[] {
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string' && v !== '')) return EMPTY;
  return Object.freeze([...new Set(value.map((v) => v.toLowerCase()))]);
}

const EMPTY: readonly string[] = Object.freeze([]);
