import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Profile, Strategy } from 'passport-github2';
import { AppConfig } from '@app/config';
import { OAuthUser } from '../flow/flow.records';

/**
 * passport-github2, pointed at GITHUB_BASE_URL / GITHUB_API_URL (github.com, GitHub Enterprise, or
 * the test stand-in). The callback is `<issuer>/callback`.
 */
@Injectable()
export class GithubStrategy extends PassportStrategy(Strategy, 'github') {
  constructor(config: AppConfig) {
    const { baseUrl, apiUrl, clientId, clientSecret } = config.github;
    super({
      clientID: clientId ?? 'unconfigured',
      clientSecret: clientSecret ?? 'unconfigured',
      callbackURL: `${config.oauth.issuer}/callback`,
      authorizationURL: `${baseUrl}/login/oauth/authorize`,
      tokenURL: `${baseUrl}/login/oauth/access_token`,
      userProfileURL: `${apiUrl}/user`,
      userEmailURL: `${apiUrl}/user/emails`,
      scope: ['read:user', 'user:email'],
    });
  }

  validate(_accessToken: string, _refreshToken: string, profile: Profile): OAuthUser {
    const json =
      (
        profile as Profile & {
          _json?: { id?: number | string; login?: string; name?: string | null; email?: string | null };
        }
      )._json ?? {};
    return {
      id: String(profile.id ?? json.id),
      login: profile.username ?? json.login ?? '',
      name: profile.displayName || json.name || undefined,
      email: profile.emails?.[0]?.value ?? json.email ?? undefined,
    };
  }
}
