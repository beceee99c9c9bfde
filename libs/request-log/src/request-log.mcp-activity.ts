import { DECISIONS, RequestLogDecision, StoredLogEntry } from './request-log-entry';

/** Rows the tool, user and rule tables keep: the busiest. */
export const MCP_ACTIVITY_TOP = 10;

/**
 * Calls per decision. Every decision the request log records has a key (0 when none), so a new one
 * (issue 19's `rate-limited`) appears here, and in the dashboard's column, once the log records it.
 */
export type DecisionCounts = Record<RequestLogDecision, number>;

export interface McpActivityCounts {
  /** MCP requests: inspected JSON-RPC requests and the proxy's own 403s on protected targets. */
  calls: number;
  /** Calls per decision; `calls` minus their sum had no decision recorded. */
  decisions: DecisionCounts;
}

export interface McpActivityBucket extends McpActivityCounts {
  /** Start of the bucket, ISO 8601. */
  start: string;
}
export interface McpToolActivity extends McpActivityCounts {
  /** The tool or prompt name, or resource URI (`mcp_name`). */
  name: string;
}
export interface McpUserActivity extends McpActivityCounts {
  /** The OAuth user (`auth_user`); null for calls without one (refused before a token was read). */
  user: string | null;
}
export interface McpRuleActivity extends McpActivityCounts {
  hostname: string;
  /** The policy rule that denied (`default`: the policy's default). Rule ids are per policy, so per host. */
  rule: string;
}

export interface McpActivity extends McpActivityCounts {
  buckets: McpActivityBucket[];
  tools: McpToolActivity[];
  users: McpUserActivity[];
  denied_rules: McpRuleActivity[];
}

const counts = (): McpActivityCounts => ({
  calls: 0,
  decisions: Object.fromEntries(DECISIONS.map((d) => [d, 0])) as DecisionCounts,
});

function count(into: McpActivityCounts, entry: StoredLogEntry): void {
  into.calls++;
  if (entry.decision !== undefined) into.decisions[entry.decision]++;
}

/** An entry of the governance audit: a request read as JSON-RPC, or one with an authorization decision. */
export const isMcpActivity = (entry: StoredLogEntry): boolean =>
  entry.listener !== 'api' && (entry.mcp_method !== undefined || entry.decision !== undefined);

/**
 * Counts the governance audit of the request log into the time series' buckets, and per tool, per user
 * and per denying rule (those keep the busiest MCP_ACTIVITY_TOP). One pass over the entries; memory
 * grows with the distinct names, users and rules, at most one each per entry examined.
 */
export class McpActivityBuilder {
  private readonly total = counts();
  private readonly buckets: McpActivityCounts[];
  private readonly tools = new Map<string, McpActivityCounts>();
  private readonly users = new Map<string | null, McpActivityCounts>();
  private readonly rules = new Map<string, McpActivityCounts & { hostname: string; rule: string }>();

  constructor(
    /** Start of the first bucket (ms). */
    readonly startMs: number,
    readonly bucketMs: number,
    readonly count: number,
  ) {
    this.buckets = Array.from({ length: count }, counts);
  }

  add(entry: StoredLogEntry): void {
    if (!isMcpActivity(entry)) return;
    const index = Math.floor((entry.ts - this.startMs) / this.bucketMs);
    if (index < 0 || index >= this.count) return;
    count(this.total, entry);
    count(this.buckets[index], entry);
    if (entry.mcp_name !== undefined) count(slot(this.tools, entry.mcp_name, counts), entry);
    count(slot(this.users, entry.auth_user ?? null, counts), entry);
    if (entry.mcp_rule !== undefined && entry.decision !== undefined && entry.decision !== 'allowed') {
      const key = JSON.stringify([entry.host, entry.mcp_rule]);
      count(
        slot(this.rules, key, () => ({ hostname: entry.host, rule: entry.mcp_rule as string, ...counts() })),
        entry,
      );
    }
  }

  result(): McpActivity {
    return {
      ...this.total,
      buckets: this.buckets.map((b, i) => ({ start: new Date(this.startMs + i * this.bucketMs).toISOString(), ...b })),
      tools: top(
        [...this.tools].map(([name, c]) => ({ name, ...c })),
        (t) => t.name,
      ),
      users: top(
        [...this.users].map(([user, c]) => ({ user, ...c })),
        (u) => u.user ?? '',
      ),
      denied_rules: top([...this.rules.values()], (r) => `${r.hostname} ${r.rule}`),
    };
  }
}

function slot<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}

/** The busiest rows first (ties by name, for a stable answer), at most MCP_ACTIVITY_TOP. */
function top<T extends McpActivityCounts>(rows: T[], name: (row: T) => string): T[] {
  return rows.sort((a, b) => b.calls - a.calls || name(a).localeCompare(name(b))).slice(0, MCP_ACTIVITY_TOP);
}
