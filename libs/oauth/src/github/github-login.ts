import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { OAuthUser } from '../flow/flow.records';
import { oauthError } from '../protocol/oauth-error';
import { GithubStrategy } from './github.strategy';

type Outcome = { redirect: string } | { user: OAuthUser } | { failure: string };

interface StrategyActions {
  redirect(url: string): void;
  success(user: unknown): void;
  fail(challenge?: unknown, status?: number): void;
  error(error: Error): void;
  pass(): void;
  authenticate(req: unknown, options: Record<string, unknown>): void;
}

/**
 * Runs the passport GitHub strategy for one request and turns its outcome (redirect to GitHub,
 * authenticated user, failure) into a promise, the way passport's own middleware drives a strategy
 * (`Object.create(strategy)` plus the action functions) but without a session or Express response.
 */
@Injectable()
export class GithubLogin {
  constructor(
    private readonly strategy: GithubStrategy,
    private readonly config: AppConfig,
  ) {}

  get configured(): boolean {
    return !!this.config.github.clientId && !!this.config.github.clientSecret;
  }

  /** The GitHub authorization URL for our flow `state`. */
  async begin(state: string): Promise<string> {
    this.assertConfigured();
    const outcome = await this.run({ query: {}, headers: {} }, { state });
    if ('redirect' in outcome) return outcome.redirect;
    throw oauthError('server_error', 'the GitHub login could not start');
  }

  /** Exchanges GitHub's code (callback query) for the user's identity. */
  async complete(query: Record<string, unknown>): Promise<OAuthUser> {
    this.assertConfigured();
    const outcome = await this.run({ query, headers: {} }, {});
    if ('user' in outcome) return outcome.user;
    throw oauthError('access_denied', 'failure' in outcome ? outcome.failure : 'GitHub did not sign the user in');
  }

  private assertConfigured(): void {
    if (!this.configured)
      throw oauthError('server_error', 'GitHub login is not configured (GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET)');
  }

  private run(
    req: { query: Record<string, unknown>; headers: Record<string, string> },
    options: Record<string, unknown>,
  ): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      const s = Object.create(this.strategy) as StrategyActions;
      s.redirect = (url) => resolve({ redirect: url });
      s.success = (user) => resolve({ user: user as OAuthUser });
      s.fail = (challenge) =>
        resolve({
          failure:
            typeof challenge === 'object' && challenge && 'message' in challenge
              ? String((challenge as { message: unknown }).message)
              : 'GitHub login failed',
        });
      s.pass = () => resolve({ failure: 'GitHub login did not complete' });
      s.error = (error) => reject(oauthError('server_error', `GitHub login failed: ${error.message}`));
      s.authenticate(req, options);
    });
  }
}
