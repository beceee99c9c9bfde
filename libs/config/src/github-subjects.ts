import { ConfigError } from './environment';

/**
 * GitHub organisations and teams as subjects (OAUTH_ALLOWED_GITHUB_ORGS / _TEAMS, a target's
 * `required_orgs` / `required_teams`, an MCP rule's `orgs` / `teams`). Compared in lower case: the
 * token's `orgs` and `teams` claims are lower-case too.
 */

/** A GitHub organisation login: letters, digits and single hyphens, at most 39 characters. */
export const GITHUB_ORG = /^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$/;
/** `organisation/team-slug` (slugs: letters, digits, `_`, `.`, `-`). */
export const GITHUB_TEAM = /^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}\/[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/;

/**
 * OAUTH_ALLOWED_GITHUB_ORGS / _TEAMS entry by entry, and their combination with
 * OAUTH_ALLOWED_GITHUB_USERS: with "*" (anyone may sign in) an organisation or team would never matter.
 */
export function checkGithubSubjectSettings(env: {
  OAUTH_ALLOWED_GITHUB_USERS?: string;
  OAUTH_ALLOWED_GITHUB_ORGS?: string;
  OAUTH_ALLOWED_GITHUB_TEAMS?: string;
}): void {
  const lists = [
    ['OAUTH_ALLOWED_GITHUB_ORGS', GITHUB_ORG, 'an organisation login such as acme'],
    ['OAUTH_ALLOWED_GITHUB_TEAMS', GITHUB_TEAM, 'organisation/team-slug such as acme/platform'],
  ] as const;
  for (const [name, pattern, example] of lists) {
    const bad = (env[name] ?? '')
      .split(',')
      .map((e) => e.trim())
      .find((e) => e !== '' && !pattern.test(e));
    if (bad !== undefined)
      throw new ConfigError(name, `contains "${bad}", which is not ${example} (a comma-separated list is expected)`);
  }
  const some = (name: 'OAUTH_ALLOWED_GITHUB_ORGS' | 'OAUTH_ALLOWED_GITHUB_TEAMS') => !!(env[name] ?? '').trim();
  if (
    (env.OAUTH_ALLOWED_GITHUB_USERS ?? '').trim() === '*' &&
    (some('OAUTH_ALLOWED_GITHUB_ORGS') || some('OAUTH_ALLOWED_GITHUB_TEAMS'))
  )
    throw new ConfigError(
      'OAUTH_ALLOWED_GITHUB_USERS',
      'is "*" (anyone may sign in), so OAUTH_ALLOWED_GITHUB_ORGS / OAUTH_ALLOWED_GITHUB_TEAMS would never matter: list the users who may sign in besides the members, or leave it empty to admit members only',
    );
}
