import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { githubCall, GithubUnreachable, nextPage } from './github-api';

/** A user's organisations (logins) and teams (`org/team-slug`), lower-case. */
export interface GithubMembershipList {
  orgs: string[];
  teams: string[];
}

/** GitHub answered 401 for the user's token: it was revoked (or the app's authorisation was). */
export class GithubTokenRevoked extends Error {}

/** GitHub answered, but not with the list (403 without read:org, 5xx, a foreign next page, a bad body). */
export class GithubMembershipsUnavailable extends Error {}

/** Pages read per list at most (100 entries each): a bound, not a limit anyone should reach. */
export const MAX_PAGES = 10;

/**
 * Reads the signed-in user's memberships with their GitHub token, as GitHub documents it:
 * `GET /user/memberships/orgs?state=active` (organisation = `organization.login`; pending
 * invitations do not count) and `GET /user/teams` (team = `organization.login/slug`), 100 per page,
 * following `Link: <...>; rel="next"` on the API's own origin only (the token is never sent
 * elsewhere), at most MAX_PAGES pages each.
 */
@Injectable()
export class GithubMemberships {
  private readonly logger = new Logger(GithubMemberships.name);

  constructor(private readonly config: AppConfig) {}

  async read(token: string): Promise<GithubMembershipList> {
    const api = this.config.github.apiUrl;
    const [memberships, teams] = await Promise.all([
      this.list(token, `${api}/user/memberships/orgs?state=active&per_page=100`),
      this.list(token, `${api}/user/teams?per_page=100`),
    ]);
    const orgs = memberships
      .filter((m) => field(m, 'state') === undefined || field(m, 'state') === 'active')
      .map((m) => field(field(m, 'organization'), 'login'));
    const slugs = teams.map((t) => {
      const org = field(field(t, 'organization'), 'login');
      const slug = field(t, 'slug');
      return typeof org === 'string' && typeof slug === 'string' ? `${org}/${slug}` : undefined;
    });
    return { orgs: lowerStrings(orgs), teams: lowerStrings(slugs) };
  }

  private async list(token: string, first: string): Promise<unknown[]> {
    const origin = new URL(first).origin;
    const items: unknown[] = [];
    let url: string | undefined = first;
    for (let page = 0; url && page < MAX_PAGES; page++) {
      if (new URL(url, first).origin !== origin)
        throw new GithubMembershipsUnavailable(`a next page on another origin (${new URL(url, first).origin})`);
      const answer = await githubCall(new URL(url, first).toString(), {
        headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.github+json' },
      });
      const path = new URL(url, first).pathname;
      if (answer.status === 401) throw new GithubTokenRevoked(`${path} answered 401`);
      if (answer.status !== 200 || !Array.isArray(answer.body))
        throw new GithubMembershipsUnavailable(`${path} answered ${answer.status}`);
      items.push(...(answer.body as unknown[]));
      url = nextPage(answer.headers.get('link'));
      if (url && page + 1 === MAX_PAGES)
        this.logger.warn(`${path}: more than ${MAX_PAGES} pages; the memberships beyond them are not read`);
    }
    return items;
  }
}

export { GithubUnreachable };

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

function lowerStrings(values: unknown[]): string[] {
  return [...new Set(values.filter((v): v is string => typeof v === 'string' && v !== '').map((v) => v.toLowerCase()))];
}
