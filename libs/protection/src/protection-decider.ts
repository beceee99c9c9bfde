import { Injectable } from '@nestjs/common';
import { isB64Token, readCookie, uncheckedBearerToken } from '@app/http';
import { AccessTokenVerifier } from '@app/oauth';
import type { McpGovernance } from '@app/dispatcher';
import {
  RESOURCE_CORS_HEADERS,
  ResourceCatalog,
  type McpCaller,
  type McpPolicy,
  type ServedResource,
} from '@app/resources';
import { challenge, metadataUrl } from './bearer-challenge';
import { PolicyGovernance } from './mcp-governance';
import { membershipsOf } from './membership-claims';
import {
  isExcludedPath,
  namesMemberships,
  userAllowed,
  type HostProtection,
  type TargetAuthConfig,
} from './target-auth.config';

/** One request to a protected hostname, as the dispatcher or a forward-auth caller describes it. */
export interface ProtectedRequest {
  host: string;
  /** Path without query. */
  path: string;
  /** Query string without '?', '' when none. */
  query: string;
  method: string;
  /** `https://host[:port]` the client used (for absolute metadata URLs). */
  origin: string;
  authorization?: string;
  /** Cookie header (redirect mode's session cookie). */
  cookie?: string;
  /**
   * False when an OPTIONS request is known not to be a CORS preflight (no Access-Control-Request-Method):
   * it then needs a token like any other method. The dispatcher answers every OPTIONS itself, so it
   * leaves this unset; /verify's caller forwards what /verify allows, so it sets it.
   */
  preflight?: boolean;
}

export type ProtectionOutcome =
  | { kind: 'unprotected' }
  | { kind: 'preflight' }
  | {
      kind: 'allow';
      identity: Record<string, string>;
      authenticated: boolean;
      fromCookie?: boolean;
      /** Who the token belongs to (the request log's auth_user / oauth_client_id; `sub` keys per-user rate limits). */
      subject?: { user: string; clientId: string; sub?: string };
      /** The token's scopes, login and email (anonymous passthrough callers: none). */
      caller?: McpCaller;
      /** The resource's MCP policy for this caller: the path is the endpoint of a resource with a policy, or below it. */
      mcp?: McpGovernance;
      /** The token's `exp` (epoch s): an upgraded connection it opened is closed then. */
      expiresAt?: number;
    }
  /** Redirect mode: a browser without a (valid) session goes through the sign-in. */
  | { kind: 'login'; resource: ServedResource }
  | {
      kind: 'deny';
      /** 503: the target's stored auth settings are unreadable. */
      status: 400 | 401 | 403 | 503;
      error: string;
      description: string;
      headers: Record<string, string>;
    };

/** The answer to every request for a host whose stored auth settings cannot be read (fail closed). */
export function unreadableSettings(protection: HostProtection): ProtectionOutcome & { kind: 'deny' } {
  return {
    kind: 'deny',
    status: 503,
    error: 'temporarily_unavailable',
    description: `the protection settings of ${protection.hostname} (its auth settings, resources or MCP policy) cannot be applied: every request is refused until they are set again`,
    headers: { 'cache-control': 'no-store' },
  };
}

export { metadataUrl };

/** The caller of a request passthrough lets through without a (valid) token. */
const ANONYMOUS: McpCaller = Object.freeze({ scopes: Object.freeze([]) as readonly string[], login: '' });

/** How many allowed tokens each resource of a protected host remembers (oldest evicted first). */
export const ALLOWED_TOKENS_PER_RESOURCE = 1000;

/** An allowed decision, remembered per resource view and token: the parts that do not change with time. */
interface AllowedToken {
  identity: Record<string, string>;
  subject: { user: string; clientId: string; sub?: string };
  caller: McpCaller;
  jti: string;
  exp: number;
  /** Built on first use, for the resource view this entry belongs to (the cache forgets both together). */
  governance?: PolicyGovernance;
}

/**
 * The protection decision for one request, in memory: excluded paths, preflight, bearer token
 * (header only), signature/expiry/revocation/audience/scopes through AccessTokenVerifier, then the
 * target's user allowlist. Used by the dispatcher's policy and by `/verify`.
 */
@Injectable()
export class ProtectionDecider {
  /**
   * Allowed tokens per resource (or per host for paths outside every endpoint): the audience, scope
   * and allowlist verdict depends only on the token and the host's settings, which are immutable
   * objects replaced as a whole when the configuration changes (so the WeakMap forgets with them).
   * A hit still checks expiry and revocation on every request (AccessTokenVerifier.stillValid).
   */
  private readonly allowedTokens = new WeakMap<object, Map<string, AllowedToken>>();
  /** Anonymous passthrough callers' governance, per resource view. */
  private readonly anonymousGovernance = new WeakMap<ServedResource, PolicyGovernance>();

  constructor(
    private readonly catalog: ResourceCatalog<TargetAuthConfig>,
    private readonly verifier: AccessTokenVerifier,
  ) {}

  protection(host: string): HostProtection | undefined {
    return this.catalog.host(host);
  }

  /** The path is one of the host's MCP endpoints (where authenticated JSON-RPC requests are inspected). */
  isEndpoint(protection: HostProtection, path: string): boolean {
    return this.catalog.isEndpoint(protection, path);
  }

  decide(
    request: ProtectedRequest,
    protection: HostProtection | undefined = this.catalog.host(request.host),
  ): ProtectionOutcome {
    if (!protection) return { kind: 'unprotected' };
    const { auth } = protection;
    if (auth.unreadable !== undefined) return unreadableSettings(protection);
    if (request.method === 'OPTIONS' && request.preflight !== false) return { kind: 'preflight' };
    if (isExcludedPath(request.path, auth.excluded_paths)) return { kind: 'allow', identity: {}, authenticated: false };

    // The resource the path belongs to; a path outside every registered endpoint accepts any of this host's resources.
    const matched = this.catalog.resourceFor(protection, request.path);
    const resource = matched ?? protection.resources[protection.resources.length - 1];
    const requiredScopes = resource.scopes;
    const deny = (status: 400 | 401 | 403, error: string | undefined, description: string): ProtectionOutcome => ({
      kind: 'deny',
      status,
      error: error ?? 'unauthorized',
      description,
      headers: {
        ...RESOURCE_CORS_HEADERS,
        'www-authenticate': challenge({
          resource_metadata: metadataUrl(request.origin, resource),
          scope: (requiredScopes.length > 0 ? requiredScopes : auth.allowed_scopes).join(' '),
          error,
          error_description: error ? description : undefined,
        }),
        'cache-control': 'no-store',
      },
    });
    const passthrough = auth.mode === 'passthrough';
    // Passthrough lets callers without a (valid) token through: a policy still decides their calls.
    const anonymous = (): ProtectionOutcome => ({
      kind: 'allow',
      identity: {},
      authenticated: false,
      caller: ANONYMOUS,
      mcp: matched?.policy ? this.anonymousFor(matched, matched.policy, request.origin) : undefined,
    });

    if (/(^|&)access_token=/.test(request.query)) {
      return passthrough
        ? anonymous()
        : deny(
            400,
            'invalid_request',
            'access tokens are accepted only in the Authorization header, never in the query string',
          );
    }
    const header = request.authorization;
    const browser = auth.mode === 'redirect' && (request.method === 'GET' || request.method === 'HEAD');
    let token: string | undefined;
    let fromCookie = false;
    const malformed = () =>
      passthrough
        ? anonymous()
        : deny(401, 'invalid_request', 'the Authorization header must be "Bearer <access token>"');
    if (header) {
      // Unchecked here: a remembered token passed isB64Token; an unknown one is checked below.
      token = uncheckedBearerToken(header);
      if (!token) return malformed();
    } else if (auth.mode === 'redirect') {
      token = readCookie(request.cookie, auth.cookie_name);
      fromCookie = !!token;
    }
    if (!token) {
      if (passthrough) return anonymous();
      return browser ? { kind: 'login', resource } : deny(401, undefined, 'this resource needs an access token');
    }

    const scope = matched ?? protection;
    let remembered = this.allowedTokens.get(scope);
    const hit = remembered?.get(token);
    if (hit && this.verifier.stillValid(hit.jti, hit.exp)) return allowed(hit, matched, request.origin, fromCookie);
    if (hit) remembered?.delete(token);
    if (header && !isB64Token(token)) return malformed();

    const audiences = [...auth.allowed_audiences, ...(matched ? [] : protection.resources.map((r) => r.uri))];
    const verdict = this.verifier.verify(token, {
      resource: matched?.uri,
      allowedAudiences: audiences,
      requiredScopes,
      allowedUsers: '*',
      headerPrefix: auth.header_prefix,
    });
    if (!verdict.allowed) {
      if (fromCookie && browser && verdict.status === 401) return { kind: 'login', resource };
      return passthrough ? anonymous() : deny(verdict.status, verdict.error, verdict.description);
    }
    const scopes = typeof verdict.claims.scope === 'string' ? verdict.claims.scope.split(' ') : [];
    if (auth.allowed_scopes.length > 0 && !auth.allowed_scopes.some((s) => scopes.includes(s))) {
      return passthrough
        ? anonymous()
        : deny(403, 'insufficient_scope', `the token needs one of the scopes ${auth.allowed_scopes.join(' ')}`);
    }
    const login = typeof verdict.claims.login === 'string' ? verdict.claims.login : '';
    const email = typeof verdict.claims.email === 'string' ? verdict.claims.email : undefined;
    const memberships = membershipsOf(verdict.claims);
    if (!userAllowed(auth, login, email, memberships))
      return passthrough
        ? anonymous()
        : deny(403, 'access_denied', notAllowed(login || verdict.claims.sub, protection));
    const entry: AllowedToken = {
      identity: Object.freeze(auth.pass_headers ? verdict.headers : {}),
      subject: Object.freeze({ user: login, clientId: verdict.claims.client_id, sub: verdict.claims.sub }),
      caller: Object.freeze({ scopes: Object.freeze(scopes), login, email, ...memberships }),
      jti: verdict.claims.jti,
      exp: verdict.claims.exp,
    };
    if (!remembered) this.allowedTokens.set(scope, (remembered = new Map()));
    if (remembered.size >= ALLOWED_TOKENS_PER_RESOURCE) {
      const oldest = remembered.keys().next().value;
      if (oldest !== undefined) remembered.delete(oldest);
    }
    remembered.set(token, entry);
    return allowed(entry, matched, request.origin, fromCookie);
  }

  private anonymousFor(resource: ServedResource, policy: McpPolicy, origin: string): PolicyGovernance {
    let governance = this.anonymousGovernance.get(resource);
    if (governance?.origin !== origin) {
      governance = new PolicyGovernance(policy, ANONYMOUS, resource, origin);
      this.anonymousGovernance.set(resource, governance);
    }
    return governance;
  }
}

/**
 * The 403 of a caller the target's lists do not name. With organisations or teams it says which
 * membership admits (what to ask for) but never the logins or e-mails listed.
 */
function notAllowed(who: string, protection: HostProtection): string {
  const denied = `user ${who} is not allowed on ${protection.hostname}`;
  const { required_orgs: orgs, required_teams: teams } = protection.auth;
  if (!namesMemberships(protection.auth)) return denied;
  const named = [
    ...(orgs.length > 0 ? [`the GitHub organisation${orgs.length > 1 ? 's' : ''} ${orgs.join(', ')}`] : []),
    ...(teams.length > 0 ? [`the team${teams.length > 1 ? 's' : ''} ${teams.join(', ')}`] : []),
  ];
  return `${denied}: it admits members of ${named.join(' or ')} (memberships are read from GitHub when a token is issued: get a new token after joining)`;
}

/**
 * The allow outcome of a remembered token; under a policy with its governance, built once per
 * entry (and again only if the same token comes over the other scheme: the metadata URL differs).
 */
function allowed(
  entry: AllowedToken,
  resource: ServedResource | undefined,
  origin: string,
  fromCookie: boolean,
): ProtectionOutcome {
  let mcp: PolicyGovernance | undefined;
  if (resource?.policy) {
    mcp = entry.governance;
    if (mcp?.origin !== origin) {
      mcp = new PolicyGovernance(resource.policy, entry.caller, resource, origin);
      entry.governance = mcp;
    }
  }
  return {
    kind: 'allow',
    identity: entry.identity,
    authenticated: true,
    fromCookie,
    subject: entry.subject,
    caller: entry.caller,
    mcp,
    expiresAt: entry.exp,
  };
}
