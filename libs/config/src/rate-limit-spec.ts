/**
 * Rate limits as operators write them (docs/rate-limits.md): `{"per":"user","limit":60,"window":"1m"}`,
 * at three levels (RATE_LIMITS globally, a proxy target's `rate_limits`, an MCP rule's
 * `rate_limits`). Pure code: validation with messages that say what to fix, and compilation to the
 * numbers the limiter needs. The limiter (libs/rate-limits) is a GCRA: `limit` calls may come at
 * once, then one every `window / limit`.
 */

/** Whose calls are counted together. */
export const RATE_LIMIT_SUBJECTS = ['user', 'client', 'address'] as const;
export type RateLimitSubject = (typeof RATE_LIMIT_SUBJECTS)[number];

/** One limit as stored and as the API takes it. */
export interface RateLimitRecord {
  /**
   * `user`: the token's user (GitHub id); `client`: the token's OAuth client id; `address`: the
   * client address (the trusted one behind a balancer or PROXY protocol). A request without a token
   * (an open target, passthrough's anonymous callers) is counted by its address for all three.
   */
  per: RateLimitSubject;
  /** Calls allowed per window (1 to 1,000,000). */
  limit: number;
  /** `<n>s`, `<n>m`, `<n>h` or `<n>d`, from 1 s to 1 day. */
  window: string;
}

/** A validated limit, ready for the limiter. Immutable. */
export interface RateLimit {
  readonly per: RateLimitSubject;
  readonly limit: number;
  readonly windowMs: number;
  /** The record's own text (`60/1m per user`): messages, metrics and the key's suffix. */
  readonly label: string;
}

const WINDOW = /^([1-9][0-9]{0,5})(s|m|h|d)$/;
const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const MAX_WINDOW_MS = 86_400_000;
const MAX_LIMIT = 1_000_000;
/** At most this many limits at one level (each is one key in Redis per subject). */
export const MAX_RATE_LIMITS = 5;

/** The window in milliseconds, or undefined when it is not `<n>s|m|h|d` between 1 s and 1 d. */
export function windowMs(window: unknown): number | undefined {
  if (typeof window !== 'string') return undefined;
  const m = WINDOW.exec(window);
  if (!m) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2]];
  return ms <= MAX_WINDOW_MS ? ms : undefined;
}

/**
 * Every problem of a list of limits, each starting with `where` and the index
 * (`rate_limits[1]: limit must be ...`); empty when valid. No message contains "; ".
 */
export function rateLimitProblems(value: unknown, where = 'rate_limits'): string[] {
  if (!Array.isArray(value))
    return [`${where} must be an array of limits such as [{"per":"user","limit":60,"window":"1m"}]`];
  const problems: string[] = [];
  if (value.length > MAX_RATE_LIMITS) problems.push(`${where}: at most ${MAX_RATE_LIMITS} limits`);
  const seen = new Set<string>();
  value.forEach((item: unknown, index) => {
    const label = `${where}[${index}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      problems.push(`${label}: each limit must be a JSON object such as {"per":"user","limit":60,"window":"1m"}`);
      return;
    }
    const r = item as Record<string, unknown>;
    for (const key of Object.keys(r))
      if (!['per', 'limit', 'window'].includes(key))
        problems.push(`${label}: unknown field "${key}" (allowed: per, limit, window)`);
    if (!RATE_LIMIT_SUBJECTS.includes(r.per as RateLimitSubject))
      problems.push(`${label}: per must be one of ${RATE_LIMIT_SUBJECTS.join(', ')}`);
    if (typeof r.limit !== 'number' || !Number.isInteger(r.limit) || r.limit < 1 || r.limit > MAX_LIMIT)
      problems.push(`${label}: limit must be a whole number from 1 to ${MAX_LIMIT}`);
    const ms = windowMs(r.window);
    if (ms === undefined)
      problems.push(`${label}: window must be a duration such as "30s", "1m", "1h" or "1d" (1 s to 1 day)`);
    const key = `${String(r.per)}|${String(ms)}`;
    if (ms !== undefined && seen.has(key))
      problems.push(`${label}: another limit already counts per ${String(r.per)} over ${String(r.window)}`);
    seen.add(key);
  });
  return problems;
}

/** Compiles limits that `rateLimitProblems` found valid. */
export function compileRateLimits(records: readonly RateLimitRecord[]): readonly RateLimit[] {
  return Object.freeze(
    records.map((r) =>
      Object.freeze({
        per: r.per,
        limit: r.limit,
        windowMs: windowMs(r.window) as number,
        label: `${r.limit}/${r.window} per ${r.per}`,
      }),
    ),
  );
}

/** Parses RATE_LIMITS (a JSON array; empty or unset: none) or throws with what to fix. */
export function parseRateLimitsSetting(name: string, text: string | undefined): readonly RateLimit[] {
  if (text === undefined || text.trim() === '') return Object.freeze([]);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${name} must be a JSON array such as [{"per":"user","limit":600,"window":"1m"}]`);
  }
  const problems = rateLimitProblems(value, name);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return compileRateLimits(value as RateLimitRecord[]);
}
