/**
 * GitHub organisations and teams as subjects (OAUTH_ALLOWED_GITHUB_ORGS / _TEAMS, a target's
 * `required_orgs` / `required_teams`, an MCP rule's `orgs` / `teams`). Compared in lower case: the
 * token's `orgs` and `teams` claims are lower-case too.
 */

/** A GitHub organisation login: letters, digits and single hyphens, at most 39 characters. */
export const GITHUB_ORG = /^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$/;
/** `organisation/team-slug` (slugs: letters, digits, `_`, `.`, `-`). */
export const GITHUB_TEAM = /^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}\/[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/;
