import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { OAuthUser } from '../flow/flow.records';
import { MembershipSubjects, ResourcePolicy } from '../flow/resource-policy';
import { admitted, membersAdmitted, membershipsAmong, namedSubjects, namesAny } from './admission';
import { GithubLogin } from './github-login';
import { GithubMembershipList } from './github-memberships';
import { GithubTokenStore } from './github-token-store';
import { MembershipLookup, Memberships } from './memberships';

/** Whether the user may sign in for this request; `via`: the memberships among those named for it (the consent page shows them). */
export type Admission = { admitted: true; via: GithubMembershipList } | { admitted: false; message: string };

const NONE: GithubMembershipList = { orgs: [], teams: [] };

/**
 * The GitHub side of the browser flow: asks GitHub for read:org only when memberships matter for
 * the request (OAUTH_ALLOWED_GITHUB_ORGS / _TEAMS, or organisations and teams named for its
 * resources), keeps the user's GitHub token (GithubTokenStore), reads the memberships, and decides
 * global admission (listed user, or member of an allowed organisation or team).
 */
@Injectable()
export class SignInAdmission {
  constructor(
    private readonly github: GithubLogin,
    private readonly tokens: GithubTokenStore,
    private readonly memberships: Memberships,
    private readonly resources: ResourcePolicy,
    private readonly config: AppConfig,
  ) {}

  private subjects(resources: string[]): MembershipSubjects {
    return namedSubjects(this.config.oauth, this.resources.membershipSubjects(resources));
  }

  /** The GitHub authorization URL for the flow `state` of a request for `resources`. */
  begin(state: string, resources: string[]): Promise<string> {
    return this.github.begin(state, namesAny(this.subjects(resources)));
  }

  /** GitHub's return: the user, their token kept, memberships read fresh when they matter, admission. */
  async complete(
    query: Record<string, unknown>,
    resources: string[],
  ): Promise<{ user: OAuthUser; admission: Admission }> {
    const { user, github } = await this.github.complete(query);
    await this.tokens.save(user.id, github);
    const subjects = this.subjects(resources);
    const lookup = namesAny(subjects) ? await this.memberships.readFresh(user.id, github) : undefined;
    return { user, admission: this.decide(user, subjects, lookup) };
  }

  /**
   * A browser already signed in: admission from the cached or re-read memberships, or
   * `sign-in-again` when they matter but cannot be known (no kept token, no read:org, GitHub failed)
   * or the user is not admitted (GitHub is asked again, with read:org, and says why).
   */
  async reuse(user: OAuthUser, resources: string[]): Promise<{ via: GithubMembershipList } | 'sign-in-again'> {
    const subjects = this.subjects(resources);
    const lookup = namesAny(subjects) ? await this.memberships.current(user.id) : undefined;
    if (lookup && !lookup.known) return 'sign-in-again';
    const admission = this.decide(user, subjects, lookup);
    return admission.admitted ? { via: admission.via } : 'sign-in-again';
  }

  private decide(user: OAuthUser, subjects: MembershipSubjects, lookup: MembershipLookup | undefined): Admission {
    const membership = lookup?.known ? lookup.membership : undefined;
    if (admitted(this.config.oauth, user.login, membership))
      return { admitted: true, via: membership ? membershipsAmong(membership, subjects) : NONE };
    const why = refusal(lookup, membersAdmitted(this.config.oauth));
    return { admitted: false, message: `GitHub user ${user.login} is not allowed to sign in here${why}` };
  }
}

/** Why a user was not admitted, as the end of the message sent to the client. */
function refusal(lookup: MembershipLookup | undefined, byMembership: boolean): string {
  if (!byMembership) return '';
  if (!lookup || lookup.known) return ' (not listed, nor a member of an allowed GitHub organisation or team)';
  if (lookup.why === 'github-failed')
    return ': its GitHub organisation and team memberships could not be read; try again later';
  return ': its GitHub organisation and team memberships could not be read (read:org was not granted)';
}
