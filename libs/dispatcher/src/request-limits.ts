import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { AppConfig, type RateLimit } from '@app/config';
import { RateLimitMetrics } from '@app/metrics';
import type { Exchange } from './exchange';
import type { McpMessage } from './mcp/json-rpc';
import type { McpDenial, McpRuleLimits } from './mcp/governance';
import { requestCharges, ruleCharges, type ChargedRequest } from './rate-limit-charges';
import { RATE_LIMITER, type RateLimitCharge, type RateLimiter, type RateLimitOutcome } from './rate-limiting';

/** JSON-RPC error code of a call refused by a rate limit: ours, in the implementation-defined server error range. */
export const RATE_LIMITED = -32029;

type Refused = RateLimitOutcome & { allowed: false };

/** The proxy's answer to a rate-limited request (not an inspected MCP POST). */
export interface RateLimitAnswer {
  status: 429;
  headers: Record<string, string>;
  body: string;
}

/**
 * The data path's side of rate limiting (docs/rate-limits.md): which limits a request counts
 * against (RATE_LIMITS, its target's, the MCP rules that allowed its calls), the limiter's verdict,
 * and the 429 answers with their audit (request log `decision`, `rate_limited_total`). A request no
 * limit applies to costs nothing here: no charge, no promise.
 */
@Injectable()
export class RequestLimits {
  private readonly logger = new Logger(RequestLimits.name);
  private readonly global: readonly RateLimit[];
  private readonly prefix: string;
  private missingLimiterReported = false;

  constructor(
    config: AppConfig,
    @Optional() @Inject(RATE_LIMITER) private readonly limiter?: RateLimiter,
    @Optional() private readonly metrics?: RateLimitMetrics,
  ) {
    this.global = config.rateLimits;
    this.prefix = config.redisKeyPrefix;
    if (this.global.length > 0 && !limiter) this.reportMissingLimiter();
  }

  /** The charges of a request against RATE_LIMITS and its target's limits; undefined when there are none. */
  forRequest(
    target: string,
    targetLimits: readonly RateLimit[] | undefined,
    exchange: Exchange,
  ): RateLimitCharge[] | undefined {
    if (this.global.length === 0 && targetLimits === undefined) return undefined;
    if (!this.limiter) return void this.reportMissingLimiter();
    return requestCharges(this.chargedRequest(target, exchange), this.global, targetLimits);
  }

  /** `charges` and those of the MCP rules that allowed the request's calls; undefined when there are none. */
  withRules(
    charges: RateLimitCharge[] | undefined,
    exchange: Exchange,
    resource: string | undefined,
    rules: readonly McpRuleLimits[] | undefined,
  ): RateLimitCharge[] | undefined {
    if (!rules || rules.length === 0 || resource === undefined) return charges;
    if (!this.limiter) return void this.reportMissingLimiter();
    const more = ruleCharges(this.chargedRequest(exchange.targetHost, exchange), resource, rules);
    return charges ? [...charges, ...more] : more;
  }

  /** The limiter's verdict on every charge at once (charges come only from this class, so a limiter exists). */
  admit(charges: readonly RateLimitCharge[]): Promise<RateLimitOutcome> {
    return (this.limiter as RateLimiter).admit(charges);
  }

  /** 429 with Retry-After, an OAuth-style error body (a request that is not an inspected MCP POST). */
  refusal(outcome: Refused, exchange: Exchange): RateLimitAnswer {
    this.audit(outcome, exchange);
    exchange.authDecision = 'rate-limited';
    const body = JSON.stringify({ error: 'rate_limited', error_description: describe(outcome) });
    return { status: 429, headers: { ...answerHeaders(outcome), 'content-type': 'application/json' }, body };
  }

  /** 429 with Retry-After and a JSON-RPC error for each request of the message (a batch: one per request with an id). */
  mcpRefusal(outcome: Refused, exchange: Exchange, messages: readonly McpMessage[], batch: boolean): McpDenial {
    this.audit(outcome, exchange);
    const audit = (exchange.mcp ??= {});
    audit.decision = 'rate-limited';
    audit.rule = outcome.refused.rule;
    const { refused } = outcome;
    const error = {
      code: RATE_LIMITED,
      message: describe(outcome),
      data: {
        decision: 'rate-limited',
        scope: refused.scope,
        ...(refused.rule === undefined ? {} : { rule: refused.rule }),
        retry_after: outcome.retryAfterSeconds,
      },
    };
    const answers = messages
      .filter((m) => m.method !== undefined && m.rawId !== null)
      .map((m) => ({ jsonrpc: '2.0', id: m.rawId, error }));
    const body = JSON.stringify(
      batch && answers.length > 0 ? answers : { jsonrpc: '2.0', id: answers[0]?.id ?? null, error },
    );
    return { status: 429, code: RATE_LIMITED, headers: answerHeaders(outcome), body };
  }

  private audit({ refused }: Refused, exchange: Exchange): void {
    this.metrics?.limitedRequest(exchange.targetHost, refused.scope, refused.limit.per);
  }

  private chargedRequest(target: string, exchange: Exchange): ChargedRequest {
    return { prefix: this.prefix, target, identity: exchange.identity, clientIp: exchange.clientIp };
  }

  private reportMissingLimiter(): void {
    if (this.missingLimiterReported) return;
    this.missingLimiterReported = true;
    this.logger.error(
      'rate limits are configured but no rate limiter is provided (RATE_LIMITER): they are not enforced',
    );
  }
}

function answerHeaders(outcome: Refused): Record<string, string> {
  return { 'retry-after': String(outcome.retryAfterSeconds), 'cache-control': 'no-store' };
}

/** `too many requests: 60/1m per user of proxy target api.example.com; retry after 12 s`. */
function describe({ refused, retryAfterSeconds }: Refused): string {
  const where = {
    global: 'this server (RATE_LIMITS)',
    target: `proxy target ${refused.target}`,
    rule: `MCP rule "${refused.rule ?? ''}"`,
  }[refused.scope];
  return `too many requests: the limit ${refused.limit.label} of ${where} is reached; retry after ${retryAfterSeconds} s`;
}
