import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { OAuthUser } from '../flow/flow.records';
import { oauthError } from '../protocol/oauth-error';
import { githubCall } from './github-api';

/** Scopes asked of GitHub: the profile, and the e-mail addresses (for the primary one). */
const GITHUB_SCOPES = 'read:user,user:email';
/** Asked besides when organisation or team memberships are needed (GET /user/memberships/orgs, /user/teams). */
export const READ_ORG = 'read:org';

/** The user's GitHub token and the scopes GitHub granted it (its token response's `scope`). */
export interface GithubToken {
  token: string;
  scopes: string[];
}

interface GithubUserJson {
  id?: number | string;
  login?: string;
  name?: string | null;
  email?: string | null;
}

/**
 * GitHub's OAuth web flow as GitHub documents it (authorize URL, code for access token, `/user` and
 * `/user/emails`), against GITHUB_BASE_URL / GITHUB_API_URL (github.com, GitHub Enterprise, or the
 * test stand-in). The callback is `<issuer>/callback`; the flow state (our authorization request's
 * id) is kept by AuthorizationService in Redis, so no session is involved. See docs/oauth.md, "Why
 * not @nestjs/passport / passport".
 */
@Injectable()
export class GithubLogin {
  constructor(private readonly config: AppConfig) {}

  get configured(): boolean {
    return !!this.config.github.clientId && !!this.config.github.clientSecret;
  }

  private get callbackUrl(): string {
    return `${this.config.oauth.issuer}/callback`;
  }

  /** The GitHub authorization URL for our flow `state`; `readOrg` when memberships will be read. */
  begin(state: string, readOrg = false): Promise<string> {
    const { baseUrl, clientId } = this.settings();
    const params = new URLSearchParams({
      response_type: 'code',
      redirect_uri: this.callbackUrl,
      scope: readOrg ? `${GITHUB_SCOPES},${READ_ORG}` : GITHUB_SCOPES,
      state,
      client_id: clientId,
    });
    return Promise.resolve(`${baseUrl}/login/oauth/authorize?${params.toString()}`);
  }

  /** Exchanges GitHub's code (callback query) for the user's identity and GitHub token. */
  async complete(query: Record<string, unknown>): Promise<{ user: OAuthUser; github: GithubToken }> {
    const { baseUrl, apiUrl, clientId, clientSecret } = this.settings();
    const code = typeof query.code === 'string' && query.code !== '' ? query.code : undefined;
    if (!code) throw oauthError('access_denied', 'GitHub did not sign the user in');
    const token = await this.call('Failed to obtain access token', `${baseUrl}/login/oauth/access_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        redirect_uri: this.callbackUrl,
        client_id: clientId,
        client_secret: clientSecret,
        code,
      }).toString(),
    });
    // GitHub answers 200 with an `error` body for a bad code or client.
    const accessToken = (token as { access_token?: unknown } | null)?.access_token;
    if (typeof accessToken !== 'string' || !accessToken) throw failed('Failed to obtain access token');
    const granted = (token as { scope?: unknown }).scope;
    const auth = { headers: { authorization: `Bearer ${accessToken}` } };
    const user = (await this.call('Failed to fetch user profile', `${apiUrl}/user`, auth)) as GithubUserJson | null;
    if (typeof user !== 'object' || user === null) throw failed('Failed to parse user profile');
    const emails = await this.call('Failed to fetch user emails', `${apiUrl}/user/emails`, auth);
    if (!Array.isArray(emails) || emails.length === 0) throw failed('Failed to fetch user emails');
    const primary = (emails as { email?: unknown; primary?: unknown }[]).find((e) => e?.primary)?.email;
    return {
      user: {
        id: String(user.id),
        login: user.login ?? '',
        name: user.name || undefined,
        email: typeof primary === 'string' ? primary : (user.email ?? undefined),
      },
      github: {
        token: accessToken,
        scopes: typeof granted === 'string' ? granted.split(/[\s,]+/).filter(Boolean) : [],
      },
    };
  }

  private settings(): { baseUrl: string; apiUrl: string; clientId: string; clientSecret: string } {
    const { baseUrl, apiUrl, clientId, clientSecret } = this.config.github;
    if (!clientId || !clientSecret)
      throw oauthError('server_error', 'GitHub login is not configured (GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET)');
    return { baseUrl, apiUrl, clientId, clientSecret };
  }

  /** One JSON call to GitHub; a network error, a timeout, a non-2xx answer or a non-JSON body fail with `what`. */
  private async call(what: string, url: string, init: RequestInit): Promise<unknown> {
    try {
      const answer = await githubCall(url, init);
      if (answer.status < 200 || answer.status > 299) throw failed(what);
      return answer.body;
    } catch {
      throw failed(what);
    }
  }
}

const failed = (why: string) => oauthError('server_error', `GitHub login failed: ${why}`);
