import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AppConfig } from '@app/config';
import { hasCookie, withoutCookie } from '@app/http';
import type { AuthDecision, McpDecision, PublicRequestInfo, ResolvedTarget, TargetAuthPolicy } from '@app/dispatcher';
import { canonicalHeaderName } from '@app/dispatcher/forwarded-headers';
import { PREFLIGHT_HEADERS, RESOURCE_CORS_HEADERS, type ServedResource } from '@app/resources';
import { ProtectionDecider, unreadableSettings, type ProtectionOutcome } from './protection-decider';
import { REDIRECT_CALLBACK_PATH, type HostProtection } from './target-auth.config';

/** Client headers with this prefix are removed by the dispatcher before any policy runs (forwarded-headers.ts). */
const DISPATCHER_IDENTITY_PREFIX = 'x-auth-';
const NOTHING: readonly string[] = Object.freeze([]);
const AUTHORIZATION: readonly string[] = Object.freeze(['authorization']);

/** Redirect mode's flow cookie: state, PKCE verifier and where to return, for the callback on the target host. */
export interface RedirectFlow {
  s: string;
  v: string;
  r: string;
}
export const flowCookieName = (cookieName: string) => `${cookieName}_flow`;

/**
 * The dispatcher's auth policy (TARGET_AUTH_POLICY): decides from memory whether a request to a
 * proxy target goes through, and with which identity headers. The client's Authorization header is
 * removed unless the target opts in (`forward_authorization`), and client copies of identity
 * headers with a custom prefix are removed too (X-Auth-* the dispatcher removes itself).
 */
@Injectable()
export class ProtectionPolicy implements TargetAuthPolicy {
  constructor(
    private readonly decider: ProtectionDecider,
    private readonly config: AppConfig,
  ) {}

  decide(req: IncomingMessage, resolved: ResolvedTarget, info: PublicRequestInfo): AuthDecision {
    const protection = this.decider.protection(info.host);
    if (!protection) return { action: 'forward' };
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const outcome = this.decider.decide(
      {
        host: info.host,
        path: info.path,
        query: q >= 0 ? rawUrl.slice(q + 1) : '',
        method: info.method,
        // The validated host on the public port of the scheme the client used (a trusted balancer's https counts).
        origin: this.config.publicOrigin(info.secure ? 'https' : 'http', info.host),
        authorization: req.headers.authorization,
        cookie: req.headers.cookie,
      },
      protection,
    );
    switch (outcome.kind) {
      case 'unprotected':
        return { action: 'forward' };
      case 'preflight':
        return { action: 'respond', status: 204, headers: PREFLIGHT_HEADERS };
      case 'deny':
        return denial(outcome);
      case 'login':
        return this.login(protection, outcome.resource, rawUrl, info.secure);
      case 'allow': {
        const owned = ownedHeaders(req, protection, protection.auth.forward_authorization);
        const setHeaders =
          owned.cookie === undefined ? outcome.identity : { ...outcome.identity, cookie: owned.cookie };
        // Browser-based MCP clients read the answer cross-origin (bearer tokens, no cookies: '*' is enough).
        const responseHeaders = protection.auth.mode === 'redirect' ? undefined : RESOURCE_CORS_HEADERS;
        return {
          action: 'forward',
          setHeaders,
          removeHeaders: owned.removeHeaders,
          responseHeaders,
          identity: outcome.subject,
          expiresAt: outcome.expiresAt,
          // Authenticated POSTs to an MCP endpoint are read as JSON-RPC; under a policy every POST to
          // the endpoint or below is (passthrough's anonymous callers included; excluded paths are not governed).
          inspectMcp:
            info.method === 'POST' &&
            (outcome.mcp !== undefined || (outcome.authenticated && this.decider.isEndpoint(protection, info.path))),
          mcp: outcome.mcp,
        };
      }
    }
  }

  /**
   * A `bypass_auth` route skips the auth decision, not the host's ownership of its identity headers
   * and session cookie: the backend behind the route may trust those as it does on other paths.
   * The client's Authorization passes (the route opted out of the proxy's auth).
   */
  bypass(req: IncomingMessage, info: PublicRequestInfo): AuthDecision {
    const protection = this.decider.protection(info.host);
    if (!protection) return { action: 'forward' };
    // Unreadable settings: which headers the host owns is unknown, so nothing goes through.
    if (protection.auth.unreadable !== undefined) return denial(unreadableSettings(protection));
    const owned = ownedHeaders(req, protection, true);
    return {
      action: 'forward',
      setHeaders: owned.cookie === undefined ? undefined : { cookie: owned.cookie },
      removeHeaders: owned.removeHeaders,
    };
  }

  private login(protection: HostProtection, resource: ServedResource, returnTo: string, secure: boolean): AuthDecision {
    if (!protection.auth.redirect_client_id)
      return {
        action: 'respond',
        status: 503,
        headers: { 'content-type': 'text/plain' },
        body: 'sign-in is not set up for this site: set its auth mode again',
      };
    const { location, cookie } = loginRedirect(this.config.oauth.issuer, protection, resource, returnTo, secure);
    return {
      action: 'respond',
      status: 302,
      headers: { location, 'set-cookie': cookie, 'cache-control': 'no-store', 'content-type': 'text/plain' },
      body: 'sign-in required',
    };
  }
}

function denial(outcome: ProtectionOutcome & { kind: 'deny' }): AuthDecision {
  return {
    action: 'respond',
    status: outcome.status,
    headers: { ...outcome.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ error: outcome.error, error_description: outcome.description }),
    decision: auditDecision(outcome),
  };
}

/** The audit's decision for the proxy's own 403s: more scope would help, or nothing would (a user not allowed). */
function auditDecision(outcome: ProtectionOutcome & { kind: 'deny' }): McpDecision | undefined {
  if (outcome.status !== 403) return undefined;
  return outcome.error === 'insufficient_scope' ? 'denied-scope' : 'denied-identity';
}

export function loginRedirect(
  issuer: string,
  protection: HostProtection,
  resource: ServedResource,
  returnTo: string,
  secure: boolean,
): { location: string; cookie: string } {
  const flow: RedirectFlow = {
    s: randomBytes(16).toString('base64url'),
    v: randomBytes(32).toString('base64url'),
    r: returnTo,
  };
  const url = new URL(`${issuer}/authorize`);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', protection.auth.redirect_client_id ?? '');
  url.searchParams.set('redirect_uri', `${protection.origin}${REDIRECT_CALLBACK_PATH}`);
  url.searchParams.set('code_challenge', createHash('sha256').update(flow.v).digest('base64url'));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', flow.s);
  url.searchParams.set('resource', resource.uri);
  if (resource.scopes.length > 0) url.searchParams.set('scope', resource.scopes.join(' '));
  const value = Buffer.from(JSON.stringify(flow)).toString('base64url');
  const cookie = `${flowCookieName(protection.auth.cookie_name)}=${value}; Path=${REDIRECT_CALLBACK_PATH}; HttpOnly; SameSite=Lax; Max-Age=600${secure ? '; Secure' : ''}`;
  return { location: url.toString(), cookie };
}

/**
 * What the proxy owns in a request to a protected host, to keep from the backend: client headers
 * with the host's identity prefix (any spelling; X-Auth-* the dispatcher drops itself), the client's
 * Authorization unless kept, and in redirect mode the session cookie, an access token, whether or
 * not it was the credential used (`cookie`: the Cookie header without it, '' handled as removal).
 */
function ownedHeaders(
  req: IncomingMessage,
  protection: HostProtection,
  keepAuthorization: boolean,
): { removeHeaders: readonly string[]; cookie?: string } {
  const prefix = canonicalHeaderName(protection.auth.header_prefix.toLowerCase());
  let removeHeaders: readonly string[];
  if (prefix === DISPATCHER_IDENTITY_PREFIX) {
    removeHeaders = keepAuthorization ? NOTHING : AUTHORIZATION;
  } else {
    // Every spelling of the prefix (`X_User_Name` is `X-User-Name` to CGI, WSGI, PHP...).
    removeHeaders = Object.keys(req.headers).filter(
      (name) => canonicalHeaderName(name).startsWith(prefix) || (name === 'authorization' && !keepAuthorization),
    );
  }
  const cookieHeader = req.headers.cookie;
  const cookieName = protection.auth.cookie_name;
  // One substring scan first: most cookie headers do not carry the session cookie.
  if (
    protection.auth.mode !== 'redirect' ||
    cookieHeader === undefined ||
    !cookieHeader.includes(cookieName) ||
    // Any cookie of that name, an empty one included: a second one after it may hold the token.
    !hasCookie(cookieHeader, cookieName)
  )
    return { removeHeaders };
  const rest = withoutCookie(cookieHeader, cookieName);
  if (rest) return { removeHeaders, cookie: rest };
  removeHeaders = [...removeHeaders, 'cookie'];
  return { removeHeaders };
}
