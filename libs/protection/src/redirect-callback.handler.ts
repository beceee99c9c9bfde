import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PublicSurfaceRegistry, type PublicRequestInfo } from '@app/dispatcher';
import { readCookie } from '@app/http';
import { OAuthMetrics } from '@app/metrics';
import { GrantExchange } from '@app/oauth';
import { ResourceCatalog } from '@app/resources';
import { REDIRECT_CALLBACK_PATH, type TargetAuthConfig } from './target-auth.config';
import { flowCookieName, type RedirectFlow } from './target-auth.policy';

export const REDIRECT_CALLBACK_PRIORITY = 94;

/**
 * Redirect mode's return from the authorization server, on the protected host itself: checks the
 * state against the flow cookie, redeems the code (PKCE) in process, sets the session cookie
 * (the access token; HttpOnly, host-only, SameSite=Lax, as long as the token lives) and sends the
 * browser back to the page it asked for.
 */
@Injectable()
export class RedirectCallbackHandler implements OnModuleInit {
  private readonly logger = new Logger(RedirectCallbackHandler.name);

  constructor(
    private readonly registry: PublicSurfaceRegistry,
    private readonly catalog: ResourceCatalog<TargetAuthConfig>,
    private readonly grants: GrantExchange,
    private readonly metrics: OAuthMetrics,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      name: 'redirect-mode-callback',
      priority: REDIRECT_CALLBACK_PRIORITY,
      matches: (info) =>
        info.path === REDIRECT_CALLBACK_PATH &&
        info.method === 'GET' &&
        this.catalog.host(info.host)?.auth.mode === 'redirect',
      handle: (req, res, info) => this.handle(req, res, info),
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse, info: PublicRequestInfo): Promise<void> {
    const protection = this.catalog.host(info.host);
    const fail = (status: number, message: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end(message);
    };
    if (!protection?.auth.redirect_client_id) return fail(404, 'sign-in is not set up for this site');
    const query = new URL(req.url ?? '/', 'http://callback').searchParams;
    if (query.get('error'))
      return fail(
        403,
        `sign-in failed: ${query.get('error')}${query.get('error_description') ? ` (${query.get('error_description')})` : ''}`,
      );
    const flowName = flowCookieName(protection.auth.cookie_name);
    let flow: RedirectFlow | undefined;
    try {
      flow = JSON.parse(
        Buffer.from(readCookie(req.headers.cookie, flowName) ?? '', 'base64url').toString(),
      ) as RedirectFlow;
    } catch {
      flow = undefined;
    }
    if (!flow || typeof flow.s !== 'string' || flow.s !== query.get('state'))
      return fail(400, 'this sign-in was not started in this browser; open the page again');
    try {
      const issued = await this.grants.exchange(
        {
          grant_type: 'authorization_code',
          code: query.get('code') ?? '',
          redirect_uri: `${protection.origin}${REDIRECT_CALLBACK_PATH}`,
          client_id: protection.auth.redirect_client_id,
          code_verifier: flow.v,
        },
        undefined,
      );
      this.metrics.tokenIssued('authorization_code');
      const secure = info.secure ? '; Secure' : '';
      const returnTo =
        typeof flow.r === 'string' && flow.r.startsWith('/') && !flow.r.startsWith('//') && !flow.r.startsWith('/\\')
          ? flow.r
          : '/';
      res.writeHead(302, {
        location: returnTo,
        'cache-control': 'no-store',
        'set-cookie': [
          `${protection.auth.cookie_name}=${issued.access_token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${issued.expires_in}${secure}`,
          `${flowName}=; Path=${REDIRECT_CALLBACK_PATH}; Max-Age=0`,
        ],
      });
      res.end();
    } catch (error) {
      this.metrics.tokenFailed((error as { error?: string }).error ?? 'server_error');
      this.logger.warn(`redirect-mode sign-in for ${info.host} failed: ${(error as Error).message}`);
      fail(400, `sign-in failed: ${(error as Error).message}`);
    }
  }
}
