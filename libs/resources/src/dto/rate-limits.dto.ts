import { ApiProperty } from '@nestjs/swagger';

/** One rate limit in force (docs/rate-limits.md). */
export class RateLimitViewDto {
  /** Where it is set: global (RATE_LIMITS), target (the proxy target's rate_limits) or rule (an MCP policy rule's rate_limits). */
  @ApiProperty({ enum: ['global', 'target', 'rule'] })
  scope!: 'global' | 'target' | 'rule';

  /** The proxy target (scope target), or the one serving the rule's resource (scope rule). */
  target?: string;

  /** The URI of the resource whose policy holds the rule (scope rule). */
  resource?: string;

  /** The registry id of that resource (scope rule). */
  resource_id?: string;

  /** The MCP policy rule's id (scope rule). */
  rule?: string;

  /** Whose calls are counted together: user, client or address (a request without a token counts by its address). */
  @ApiProperty({ enum: ['user', 'client', 'address'] })
  per!: 'user' | 'client' | 'address';

  /** Calls allowed per window: a burst of this many, then one every window/limit. */
  limit!: number;

  /**
   * The window, in its largest whole unit.
   * @example "1m"
   */
  window!: string;

  window_ms!: number;

  /**
   * As 429 answers and the metrics name it.
   * @example "60/1m per user"
   */
  label!: string;

  /** Who is counted together, in words. */
  subject!: string;

  /**
   * The Redis key of the counter (REDIS_KEY_PREFIX first), the subject as a placeholder.
   * @example "proxy:ratelimit:{user:<github user id>}:target:api.example.com:60/60000"
   */
  key!: string;
}

/** A stored list of limits that fails validation: its target answers 503 until it is fixed. */
export class UnreadableRateLimitsDto {
  @ApiProperty({ enum: ['target', 'rule'] })
  scope!: 'target' | 'rule';
  target!: string;
  resource?: string;
  resource_id?: string;
  rule?: string;
  /** What to fix, one problem each. */
  problems!: string[];
}

export class RateLimitsOverviewDto {
  /** Global limits first, then per target (by hostname), then per rule (by resource URI, in policy order). */
  limits!: RateLimitViewDto[];
  /** Stored lists that fail validation (their targets refuse requests with 503). */
  unreadable!: UnreadableRateLimitsDto[];
}
