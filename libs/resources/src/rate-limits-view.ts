import { compileRateLimits, rateLimitProblems, type RateLimit, type RateLimitRecord } from '@app/config';
import type { McpPolicyRecord } from './mcp-policy';

/**
 * What `GET /api/v1/rate-limits` shows (docs/rate-limits.md): every limit in force at its three
 * levels, with the Redis key its counter lives in. Pure code: the controller hands it the global
 * limits, the targets and the resources the caller may see.
 */

export type RateLimitLevel = 'global' | 'target' | 'rule';

/** One limit in force. */
export interface RateLimitView {
  scope: RateLimitLevel;
  /** The proxy target (scope target), or the one serving the rule's resource (scope rule). */
  target?: string;
  /** The resource URI and registry id of the rule's policy (scope rule). */
  resource?: string;
  resource_id?: string;
  /** The MCP policy rule's id (scope rule). */
  rule?: string;
  per: RateLimit['per'];
  limit: number;
  /** The window as written (`1m`), normalised to its largest whole unit. */
  window: string;
  window_ms: number;
  /** `60/1m per user`: as 429 answers and metrics name it. */
  label: string;
  /** Who is counted together: the key's subject. */
  subject: string;
  /** The counter's Redis key, its subject as a placeholder. */
  key: string;
}

/** A stored list that fails validation: its target answers 503 until it is fixed (fail closed). */
export interface UnreadableRateLimits {
  scope: 'target' | 'rule';
  target: string;
  resource?: string;
  resource_id?: string;
  rule?: string;
  problems: string[];
}

export interface RateLimitsOverview {
  limits: RateLimitView[];
  unreadable: UnreadableRateLimits[];
}

/** The parts of a proxy target and a registered resource the view reads. */
export interface TargetLimits {
  hostname: string;
  rate_limits?: unknown;
}
export interface ResourceLimits {
  id: string;
  uri: string;
  proxy_target: string;
  policy?: McpPolicyRecord;
}

/** Who a limit counts together, and the placeholder of the key's subject. */
const SUBJECTS: Readonly<Record<RateLimit['per'], { subject: string; placeholder: string }>> = {
  user: { subject: "the token's user (its sub: the GitHub user id)", placeholder: 'user:<github user id>' },
  client: { subject: "the token's OAuth client (client_id)", placeholder: 'client:<client_id>' },
  address: { subject: 'the trusted client address', placeholder: 'address:<client address>' },
};

const UNITS: readonly [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];

/** `60000` → `1m`, `90000` → `90s`: the largest unit that divides the window. */
export function windowText(ms: number): string {
  const [unit, size] = UNITS.find(([, size]) => ms % size === 0) ?? ['s', 1000];
  return `${ms / size}${unit}`;
}

/**
 * The key a limit's counter lives in, `<REDIS_KEY_PREFIX>:ratelimit:{<per>:<subject>}:<scope>:<limit>/<windowMs>`
 * (the limiter's own, libs/dispatcher rate-limit-charges.ts). A request without a token counts by
 * its address whatever `per` says.
 */
export function rateLimitKey(prefix: string, limit: RateLimit, scope: string): string {
  return `${prefix}:ratelimit:{${SUBJECTS[limit.per].placeholder}}:${scope}:${limit.limit}/${limit.windowMs}`;
}

function views(
  prefix: string,
  limits: readonly RateLimit[],
  where: Omit<RateLimitView, keyof RateLimit | 'window' | 'window_ms' | 'subject' | 'key'>,
  keyScope: string,
): RateLimitView[] {
  return limits.map((limit) => ({
    ...where,
    per: limit.per,
    limit: limit.limit,
    window: windowText(limit.windowMs),
    window_ms: limit.windowMs,
    label: limit.label,
    subject: SUBJECTS[limit.per].subject,
    key: rateLimitKey(prefix, limit, keyScope),
  }));
}

/** Global limits first, then per target (by hostname), then per rule (by resource, in policy order). */
export function rateLimitsOverview(
  /** REDIS_KEY_PREFIX: the keys are named as the limiter writes them. */
  prefix: string,
  global: readonly RateLimit[],
  targets: readonly TargetLimits[],
  resources: readonly ResourceLimits[],
): RateLimitsOverview {
  const overview: RateLimitsOverview = { limits: views(prefix, global, { scope: 'global' }, 'global'), unreadable: [] };
  for (const target of [...targets].sort((a, b) => a.hostname.localeCompare(b.hostname))) {
    if (target.rate_limits === undefined || target.rate_limits === null) continue;
    const problems = rateLimitProblems(target.rate_limits);
    if (problems.length > 0) overview.unreadable.push({ scope: 'target', target: target.hostname, problems });
    else
      overview.limits.push(
        ...views(
          prefix,
          compileRateLimits(target.rate_limits as RateLimitRecord[]),
          { scope: 'target', target: target.hostname },
          `target:${target.hostname}`,
        ),
      );
  }
  for (const resource of [...resources].sort((a, b) => a.uri.localeCompare(b.uri))) {
    const rules = Array.isArray(resource.policy?.rules) ? resource.policy.rules : [];
    rules.forEach((rule, index) => {
      if (rule?.rate_limits === undefined) return;
      const where = { target: resource.proxy_target, resource: resource.uri, resource_id: resource.id, rule: rule.id };
      const problems = rateLimitProblems(rule.rate_limits, `rules[${index}].rate_limits`);
      if (problems.length > 0) overview.unreadable.push({ scope: 'rule', ...where, problems });
      else
        overview.limits.push(
          ...views(
            prefix,
            compileRateLimits(rule.rate_limits),
            { scope: 'rule', ...where },
            `rule:${resource.uri}:${rule.id}`,
          ),
        );
    });
  }
  return overview;
}
