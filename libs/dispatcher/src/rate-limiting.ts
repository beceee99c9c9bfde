import type { RateLimit } from '@app/config';

/** Where a limit was set: RATE_LIMITS, the proxy target, or an MCP rule of a resource's policy. */
export type RateLimitScope = 'global' | 'target' | 'rule';

/**
 * One limit a request counts against. `key` names the counter in Redis: the scope, the subject
 * and the limit itself (`ratelimit:{user:12345}:target:api.example.com:60/60000`), so a changed
 * limit starts a fresh counter. The `{…}` hash tag is the subject: the charges of one subject share
 * a cluster slot and are decided together by one script call.
 */
export interface RateLimitCharge {
  key: string;
  limit: RateLimit;
  /** How many calls this request is (an MCP batch counts each call a rule matches). */
  cost: number;
  scope: RateLimitScope;
  /** The MCP rule's id (scope `rule`). */
  rule?: string;
  /** The proxy target's hostname (metrics label). */
  target: string;
}

export type RateLimitOutcome =
  | { allowed: true }
  /** `retryAfterSeconds`: when the refused charge would be admitted (at least 1). */
  | { allowed: false; retryAfterSeconds: number; refused: RateLimitCharge };

/**
 * The cluster-wide limiter (libs/rate-limits provides it as RATE_LIMITER): every charge of a request
 * is decided at once, with at most one round trip to Redis; a request is admitted only when every
 * charge is, and only an admitted request consumes. Without a limiter (none provided), limits are
 * not enforced and the dispatcher says so once at start.
 */
export interface RateLimiter {
  admit(charges: readonly RateLimitCharge[]): Promise<RateLimitOutcome>;
}

export const RATE_LIMITER = Symbol('RATE_LIMITER');
