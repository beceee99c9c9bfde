import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { OAuthUser } from '../flow/flow.records';
import { ResourcePolicy } from '../flow/resource-policy';
import { admitted, membersAdmitted, membershipsAmong, namedSubjects, namesAny } from '../github/admission';
import { Memberships } from '../github/memberships';
import { OAuthError, oauthError } from '../protocol/oauth-error';
import { AccessTokenClaims } from './jwt';
import { TokenIssuer } from './token-issuer';

export type GrantTokenOutcome =
  | { token: string; claims: AccessTokenClaims }
  /** `revoke`: the user no longer passes global admission, so the grant ends; else try again later. */
  | { refused: OAuthError; revoke: boolean };

/**
 * The access tokens of a grant (code exchange and refresh): global admission checked again, and the
 * `orgs` / `teams` claims: the user's current memberships among those named globally
 * (OAUTH_ALLOWED_GITHUB_ORGS / _TEAMS) or for the token's audience (ResourcePolicy), with `exp`
 * capped at their reading + OAUTH_GITHUB_MEMBERSHIP_TTL_SECONDS. Nothing named: no claims, no cap.
 */
@Injectable()
export class GrantTokens {
  constructor(
    private readonly issuer: TokenIssuer,
    private readonly memberships: Memberships,
    private readonly resources: ResourcePolicy,
    private readonly config: AppConfig,
  ) {}

  async issue(user: OAuthUser, clientId: string, scopes: string[], audience: string[]): Promise<GrantTokenOutcome> {
    const oauth = this.config.oauth;
    const subjects = namedSubjects(oauth, this.resources.membershipSubjects(audience));
    if (!namesAny(subjects)) {
      if (!admitted(oauth, user.login, undefined)) return notAdmitted(user, false);
      return this.issuer.issueAccessToken(user, clientId, scopes, audience);
    }
    const lookup = await this.memberships.current(user.id);
    const membership = lookup.known ? lookup.membership : undefined;
    if (!admitted(oauth, user.login, membership)) {
      if (!lookup.known && lookup.why === 'github-failed')
        return {
          refused: oauthError(
            'temporarily_unavailable',
            `the GitHub memberships of ${user.login} could not be checked; try again later`,
          ),
          revoke: false,
        };
      return notAdmitted(user, membersAdmitted(oauth));
    }
    if (!membership) return this.issuer.issueAccessToken(user, clientId, scopes, audience);
    const among = membershipsAmong(membership, subjects);
    const notAfter = Math.floor(membership.checked_at / 1000) + oauth.membershipTtl;
    return this.issuer.issueAccessToken(user, clientId, scopes, audience, { ...among, notAfter });
  }
}

const notAdmitted = (user: OAuthUser, byMembership: boolean): GrantTokenOutcome => ({
  refused: oauthError(
    'invalid_grant',
    `GitHub user ${user.login} may no longer sign in here${byMembership ? ' (not listed, nor a member of an allowed GitHub organisation or team)' : ''}`,
  ),
  revoke: true,
});
