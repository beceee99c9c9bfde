import type { OAuthSettings } from '@app/config';
import type { MembershipSubjects } from '../flow/resource-policy';
import type { GithubMembershipList } from './github-memberships';

type Allowed = Pick<OAuthSettings, 'allowedUsers' | 'allowedOrgs' | 'allowedTeams'>;

/** Whether members of organisations or teams may sign in (OAUTH_ALLOWED_GITHUB_ORGS / _TEAMS). */
export const membersAdmitted = (allowed: Allowed): boolean =>
  allowed.allowedOrgs.length > 0 || allowed.allowedTeams.length > 0;

/**
 * Global admission: listed in OAUTH_ALLOWED_GITHUB_USERS (or it is "*"), or a member of an
 * organisation in OAUTH_ALLOWED_GITHUB_ORGS, or of a team in OAUTH_ALLOWED_GITHUB_TEAMS. Without
 * known memberships only the list counts (fail closed).
 */
export function admitted(allowed: Allowed, login: string, membership: GithubMembershipList | undefined): boolean {
  if (allowed.allowedUsers === '*' || allowed.allowedUsers.includes(login.toLowerCase())) return true;
  if (!membership) return false;
  return (
    allowed.allowedOrgs.some((o) => membership.orgs.includes(o)) ||
    allowed.allowedTeams.some((t) => membership.teams.includes(t))
  );
}

/** The organisations and teams named globally and for some resources (lower-case, no duplicates). */
export function namedSubjects(allowed: Allowed, forResources: MembershipSubjects): MembershipSubjects {
  return {
    orgs: [...new Set([...allowed.allowedOrgs, ...forResources.orgs])],
    teams: [...new Set([...allowed.allowedTeams, ...forResources.teams])],
  };
}

export const namesAny = (subjects: MembershipSubjects): boolean =>
  subjects.orgs.length > 0 || subjects.teams.length > 0;

/** The user's memberships among `subjects`: what a token carries, and what the consent page names. */
export function membershipsAmong(membership: GithubMembershipList, subjects: MembershipSubjects): GithubMembershipList {
  return {
    orgs: membership.orgs.filter((o) => subjects.orgs.includes(o)),
    teams: membership.teams.filter((t) => subjects.teams.includes(t)),
  };
}
