import type { RateLimit, RateLimitSubject } from '@app/config';
import { addressSubject } from '@app/http';
import type { RequestIdentity } from './exchange';
import type { McpRuleLimits } from './mcp/governance';
import type { RateLimitCharge } from './rate-limiting';

/** Who a request is, for its rate limits: the token's user and client (when it had one) and the trusted client address. */
export interface ChargedRequest {
  /** REDIS_KEY_PREFIX (the limiter's keys live beside the server's others). */
  prefix: string;
  /** The proxy target's hostname. */
  target: string;
  identity?: RequestIdentity;
  /** The trusted client address (PROXY protocol, a trusted balancer's word, or the TCP peer). */
  clientIp: string;
}

/**
 * The counter's subject: the token's user id (`sub`: a login can be renamed), its OAuth client id,
 * or the client address (an IPv6 client by its /64: @app/http address-subject.ts). A request without a
 * token (an open target, passthrough's anonymous callers, a bypass route) is counted by its address
 * whatever the limit counts by.
 */
export function subjectOf(per: RateLimitSubject, request: ChargedRequest): string {
  const identity = request.identity;
  if (per === 'user' && identity?.sub) return `user:${identity.sub}`;
  if (per === 'client' && identity?.clientId) return `client:${identity.clientId}`;
  return `address:${addressSubject(request.clientIp)}`;
}

/**
 * `<prefix>:ratelimit:{<per>:<subject>}:<scope>:<limit>/<windowMs>`: the `{…}` hash tag is the
 * subject, so the charges of one subject share a cluster slot and are decided by one script call;
 * the limit in the name starts a fresh counter when a limit is changed.
 */
export function rateLimitKey(request: ChargedRequest, limit: RateLimit, scope: string): string {
  return `${request.prefix}:ratelimit:{${subjectOf(limit.per, request)}}:${scope}:${limit.limit}/${limit.windowMs}`;
}

/** The charges of one request against RATE_LIMITS and its target's limits (cost 1: an HTTP request, a batch too). */
export function requestCharges(
  request: ChargedRequest,
  global: readonly RateLimit[],
  target: readonly RateLimit[] | undefined,
): RateLimitCharge[] {
  const charges: RateLimitCharge[] = [];
  for (const limit of global)
    charges.push({
      key: rateLimitKey(request, limit, 'global'),
      limit,
      cost: 1,
      scope: 'global',
      target: request.target,
    });
  if (target) {
    const scope = `target:${request.target}`;
    for (const limit of target)
      charges.push({
        key: rateLimitKey(request, limit, scope),
        limit,
        cost: 1,
        scope: 'target',
        target: request.target,
      });
  }
  return charges;
}

/** The charges of the MCP rules that allowed a request's calls: each call a rule matched counts once. */
export function ruleCharges(
  request: ChargedRequest,
  resource: string,
  rules: readonly McpRuleLimits[],
): RateLimitCharge[] {
  const charges: RateLimitCharge[] = [];
  for (const { rule, limits, calls } of rules) {
    const scope = `rule:${resource}:${rule}`;
    for (const limit of limits)
      charges.push({
        key: rateLimitKey(request, limit, scope),
        limit,
        cost: calls,
        scope: 'rule',
        rule,
        target: request.target,
      });
  }
  return charges;
}
