/**
 * MCP policies of a protected resource (docs/mcp.md): ordered rules on the JSON-RPC method and the
 * tool, prompt or resource it names. The first rule that matches decides; when none matches, the
 * policy's `default` decides (allow unless set to deny). Pure code: validation, compilation and the
 * decision for one caller, with no I/O, so the data path evaluates it from memory.
 */

import {
  compileRateLimits,
  GITHUB_ORG,
  GITHUB_TEAM,
  rateLimitProblems,
  type RateLimit,
  type RateLimitRecord,
} from '@app/config';

/** One rule as stored and as the API takes it. */
export interface McpRuleRecord {
  /** Names the rule in validation messages, denials and the request log (`mcp_rule`). */
  id: string;
  /** JSON-RPC method, exact or glob (`tools/call`, `tools/*`, `*`). */
  method: string;
  /** Tool or prompt name, or resource URI (template for `resources/templates/list`), exact or glob; absent: any. */
  name?: string;
  /** Every one of these scopes is required (a missing one can be obtained by step-up). */
  scopes?: string[];
  /**
   * Who may call (GitHub logins and e-mails case-insensitive, organisations `acme`, teams
   * `acme/platform` by slug): with several lists the caller must match one entry of any of them.
   */
  users?: string[];
  emails?: string[];
  orgs?: string[];
  teams?: string[];
  /** Denies every caller; no scope allows the call. Exclusive with scopes and the subject lists. */
  deny?: boolean;
  /** Limits on the calls this rule matches (each call of a batch counts), per user, client or address. */
  rate_limits?: RateLimitRecord[];
}

export interface McpPolicyRecord {
  /** What a call no rule matches gets. Default `allow` (a resource without rules behaves as before policies). */
  default?: 'allow' | 'deny';
  /** Tool and prompt names as Prometheus labels (`mcp_requests_total{name}`); off by default to bound cardinality. */
  metric_names?: boolean;
  rules: McpRuleRecord[];
}

/** Who calls: from the verified access token. */
export interface McpCaller {
  scopes: readonly string[];
  login: string;
  email?: string;
  /** The token's `orgs` / `teams` claims (lower-case; only the memberships some rule names, docs/oauth.md). */
  orgs?: readonly string[];
  teams?: readonly string[];
}

/** One JSON-RPC call: its method and the name it carries (tools/call's `params.name`...). */
export interface McpCall {
  method: string;
  name?: string;
}

export type McpRuleVerdict =
  /** `limits`: the matching rule's rate limits (the call counts against them). */
  | { decision: 'allowed'; rule?: string; limits?: readonly RateLimit[] }
  /** More scope would allow it: `scopes` are the rule's (all needed), `missing` those the caller lacks. */
  | { decision: 'denied-scope'; rule: string; scopes: readonly string[]; missing: readonly string[] }
  /** No scope would allow it: a deny rule, a subject not listed, or the default. */
  | { decision: 'denied-identity'; rule: string };

/** The rule id reported when nothing matched and the policy's default denies. */
export const DEFAULT_RULE = 'default';

const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/; // RFC 6749 scope-token
const MAX_RULES = 200;
const MAX_PATTERN = 512;
const MAX_LIST = 1000;
const RULE_FIELDS = ['id', 'method', 'name', 'scopes', 'users', 'emails', 'orgs', 'teams', 'deny', 'rate_limits'];
const SUBJECT_FIELDS = ['scopes', 'users', 'emails', 'orgs', 'teams'];

function isSubjectList(value: unknown, pattern: RegExp): boolean {
  return isStringList(value) && value.length > 0 && value.length <= MAX_LIST && value.every((s) => pattern.test(s));
}

/** The list methods and the call whose rules decide what each lists. */
export const LISTED_BY: Readonly<Record<string, string>> = Object.freeze({
  'tools/list': 'tools/call',
  'prompts/list': 'prompts/get',
  'resources/list': 'resources/read',
  'resources/templates/list': 'resources/read',
});

/**
 * What `default: deny` leaves alone: starting and keeping a session, notifications and the lists
 * (which are filtered instead). Explicit rules still apply to them.
 */
const OUTSIDE_DEFAULT: ReadonlySet<string> = new Set(['initialize', 'ping', ...Object.keys(LISTED_BY)]);

interface CompiledRule {
  id: string;
  method: Glob;
  name?: Glob;
  scopes: readonly string[];
  users?: ReadonlySet<string>;
  emails?: ReadonlySet<string>;
  orgs?: ReadonlySet<string>;
  teams?: ReadonlySet<string>;
  deny: boolean;
  limits?: readonly RateLimit[];
}

/** A validated policy, ready for the data path. Immutable; replaced as a whole when the record changes. */
export interface McpPolicy {
  readonly default: 'allow' | 'deny';
  readonly metricNames: boolean;
  readonly rules: readonly CompiledRule[];
  /** Every scope some rule requires (published in the resource's `scopes_supported`). */
  readonly scopes: readonly string[];
  /** Every organisation and team some rule names (lower-case): the memberships tokens for this resource carry. */
  readonly orgs: readonly string[];
  readonly teams: readonly string[];
}

/** A compiled method or name glob. */
export interface Glob {
  test(value: string): boolean;
}

/** `segment` (where `?` is any one character) occurs in `value` at `at`. */
function segmentAt(value: string, segment: string, at: number): boolean {
  for (let i = 0; i < segment.length; i++) if (segment[i] !== '?' && segment[i] !== value[at + i]) return false;
  return true;
}

/** The first place at or after `from` where `segment` occurs in `value`, or -1. */
function findSegment(value: string, segment: string, from: number): number {
  if (!segment.includes('?')) return value.indexOf(segment, from);
  for (let at = from; at + segment.length <= value.length; at++) if (segmentAt(value, segment, at)) return at;
  return -1;
}

/**
 * `*` any run of characters (`/` included), `?` one character (UTF-16 code unit); everything else
 * literal. Matched without a regular expression: the name is chosen by the client, and a
 * backtracking regex for `*-*-*-*-admin` takes exponential time on a name of many dashes (it hung
 * the proxy). Here the parts between stars are found left to right, each at its first place, which
 * decides a star glob exactly: at most (name length × glob length) steps.
 */
export function compileGlob(glob: string): Glob {
  const parts = glob.split('*');
  if (parts.length === 1) return { test: (value) => value.length === glob.length && segmentAt(value, glob, 0) };
  const first = parts[0];
  const last = parts[parts.length - 1];
  const middle = parts.slice(1, -1).filter((part) => part !== '');
  return {
    test(value) {
      const end = value.length - last.length;
      if (end < first.length || !segmentAt(value, first, 0) || !segmentAt(value, last, end)) return false;
      let at = first.length;
      for (const part of middle) {
        const found = findSegment(value, part, at);
        if (found < 0 || found + part.length > end) return false;
        at = found + part.length;
      }
      return true;
    },
  };
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/**
 * Every problem of a policy document, each naming the rule at fault (`rules[2] "writes": ...`);
 * empty when it is valid. `issuable` are the scopes the authorization server grants (OAUTH_SCOPES):
 * a rule that requires another one could never be satisfied. No message contains "; " (the API
 * joins them with it, and the dashboard splits them again).
 */
export function policyProblems(value: unknown, issuable: readonly string[]): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return ['the policy must be a JSON object with a "rules" array'];
  const v = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(v))
    if (!['default', 'metric_names', 'rules'].includes(key))
      problems.push(`unknown field "${key}" (allowed: default, metric_names, rules)`);
  if (v.default !== undefined && v.default !== 'allow' && v.default !== 'deny')
    problems.push('default must be "allow" or "deny"');
  if (v.metric_names !== undefined && typeof v.metric_names !== 'boolean')
    problems.push('metric_names must be true or false');
  if (!Array.isArray(v.rules)) return [...problems, 'rules must be an array (it may be empty)'];
  if (v.rules.length > MAX_RULES) problems.push(`at most ${MAX_RULES} rules`);
  const seen = new Set<string>();
  v.rules.forEach((rule: unknown, index) => problems.push(...ruleProblems(rule, index, issuable, seen)));
  return problems;
}

function ruleProblems(rule: unknown, index: number, issuable: readonly string[], seen: Set<string>): string[] {
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule))
    return [`rules[${index}]: each rule must be a JSON object`];
  const r = rule as Record<string, unknown>;
  const label = typeof r.id === 'string' ? `rules[${index}] "${r.id}"` : `rules[${index}]`;
  const problems: string[] = [];
  const say = (message: string) => problems.push(`${label}: ${message}`);
  for (const key of Object.keys(r))
    if (!RULE_FIELDS.includes(key)) say(`unknown field "${key}" (allowed: ${RULE_FIELDS.join(', ')})`);
  if (typeof r.id !== 'string' || !RULE_ID.test(r.id))
    say('id is required: 1-64 letters, digits, ".", "_", ":" or "-", starting with a letter or digit');
  else if (seen.has(r.id)) say('id is used by an earlier rule (ids must be unique)');
  else seen.add(r.id);
  if (typeof r.method !== 'string' || r.method === '' || r.method.length > MAX_PATTERN)
    say(
      `method is required: a JSON-RPC method or glob such as "tools/call" or "tools/*" (at most ${MAX_PATTERN} characters)`,
    );
  if (r.name !== undefined && (typeof r.name !== 'string' || r.name === '' || r.name.length > MAX_PATTERN))
    say(`name must be a non-empty tool, prompt or resource name or glob (at most ${MAX_PATTERN} characters)`);
  if (r.scopes !== undefined) {
    if (!isStringList(r.scopes) || r.scopes.length === 0 || r.scopes.some((s) => !SCOPE_TOKEN.test(s)))
      say('scopes must be a non-empty array of scope names without spaces or quotes');
    else {
      const unknown = r.scopes.filter((s) => !issuable.includes(s));
      if (unknown.length > 0)
        say(
          `scope ${unknown.join(' ')} is not issued by this server (OAUTH_SCOPES: ${issuable.join(' ')}), so no caller could ever get it`,
        );
    }
  }
  for (const field of ['users', 'emails'] as const) {
    const list = r[field];
    if (list === undefined) continue;
    if (!isStringList(list) || list.length === 0 || list.length > MAX_LIST || list.some((s) => s.trim() === ''))
      say(`${field} must be a non-empty array of non-empty strings (at most ${MAX_LIST})`);
  }
  if (r.orgs !== undefined && !isSubjectList(r.orgs, GITHUB_ORG))
    say(`orgs must be a non-empty array of GitHub organisation logins such as "acme" (at most ${MAX_LIST})`);
  if (r.teams !== undefined && !isSubjectList(r.teams, GITHUB_TEAM))
    say(`teams must be a non-empty array of "organisation/team-slug" such as "acme/platform" (at most ${MAX_LIST})`);
  if (r.deny !== undefined && typeof r.deny !== 'boolean') say('deny must be true or false');
  if (r.deny === true && SUBJECT_FIELDS.some((f) => r[f] !== undefined))
    say('a deny rule denies everyone: remove scopes, users, emails, orgs and teams, or set deny to false');
  if (r.rate_limits !== undefined) problems.push(...rateLimitProblems(r.rate_limits, `${label}: rate_limits`));
  if (r.deny === true && r.rate_limits !== undefined) say('a deny rule admits no call to count: remove rate_limits');
  return problems;
}

/** Compiles a policy that `policyProblems` found valid. */
export function compilePolicy(record: McpPolicyRecord): McpPolicy {
  const rules = record.rules.map((r): CompiledRule => ({
    id: r.id,
    method: compileGlob(r.method),
    name: r.name === undefined ? undefined : compileGlob(r.name),
    scopes: Object.freeze([...(r.scopes ?? [])]),
    users: r.users ? new Set(r.users.map((u) => u.trim().toLowerCase())) : undefined,
    emails: r.emails ? new Set(r.emails.map((e) => e.trim().toLowerCase())) : undefined,
    orgs: r.orgs ? new Set(r.orgs.map((o) => o.toLowerCase())) : undefined,
    teams: r.teams ? new Set(r.teams.map((t) => t.toLowerCase())) : undefined,
    deny: r.deny === true,
    limits: r.rate_limits && r.rate_limits.length > 0 ? compileRateLimits(r.rate_limits) : undefined,
  }));
  const scopes = [...new Set(rules.flatMap((r) => r.scopes))];
  return Object.freeze({
    default: record.default ?? 'allow',
    metricNames: record.metric_names === true,
    rules: Object.freeze(rules),
    scopes: Object.freeze(scopes),
    orgs: Object.freeze([...new Set(rules.flatMap((r) => [...(r.orgs ?? [])]))]),
    teams: Object.freeze([...new Set(rules.flatMap((r) => [...(r.teams ?? [])]))]),
  });
}

function deniedByDefault(policy: McpPolicy, method: string): boolean {
  return policy.default === 'deny' && !OUTSIDE_DEFAULT.has(method) && !method.startsWith('notifications/');
}

function ruleMatches(rule: CompiledRule, call: McpCall): boolean {
  if (!rule.method.test(call.method)) return false;
  return rule.name === undefined || (call.name !== undefined && rule.name.test(call.name));
}

function subjectAllowed(rule: CompiledRule, caller: McpCaller): boolean {
  if (!rule.users && !rule.emails && !rule.orgs && !rule.teams) return true;
  if (rule.users?.has(caller.login.toLowerCase()) && caller.login !== '') return true;
  if (caller.email !== undefined && caller.email !== '' && rule.emails?.has(caller.email.toLowerCase()) === true)
    return true;
  if (rule.orgs && caller.orgs?.some((o) => rule.orgs?.has(o))) return true;
  return rule.teams !== undefined && caller.teams?.some((t) => rule.teams?.has(t)) === true;
}

/** The verdict of a policy for one call by one caller: the first matching rule, else the default. */
export function evaluateCall(policy: McpPolicy, caller: McpCaller, call: McpCall): McpRuleVerdict {
  const rule = policy.rules.find((r) => ruleMatches(r, call));
  if (!rule)
    return deniedByDefault(policy, call.method)
      ? { decision: 'denied-identity', rule: DEFAULT_RULE }
      : { decision: 'allowed' };
  if (rule.deny || !subjectAllowed(rule, caller)) return { decision: 'denied-identity', rule: rule.id };
  const missing = rule.scopes.filter((s) => !caller.scopes.includes(s));
  if (missing.length > 0) return { decision: 'denied-scope', rule: rule.id, scopes: rule.scopes, missing };
  return rule.limits
    ? { decision: 'allowed', rule: rule.id, limits: rule.limits }
    : { decision: 'allowed', rule: rule.id };
}

/**
 * What a list method (`tools/list`...) may show this caller: a predicate on an item's name (URI for
 * resources, URI template for templates), or undefined when the policy can hide nothing from this
 * caller. An item is shown when calling it is allowed or needs only more scope (step-up: the client
 * learns the tool exists and gets `insufficient_scope` when it calls it); items no scope would allow
 * are hidden.
 */
export function listFilter(
  policy: McpPolicy,
  caller: McpCaller,
  listMethod: string,
): ((name: string) => boolean) | undefined {
  if (!Object.hasOwn(LISTED_BY, listMethod)) return undefined;
  const callMethod = LISTED_BY[listMethod];
  const relevant = policy.rules.filter((r) => r.method.test(callMethod));
  const canHide = policy.default === 'deny' || relevant.some((r) => r.deny || !subjectAllowed(r, caller));
  if (!canHide) return undefined;
  return (name) => evaluateCall(policy, caller, { method: callMethod, name }).decision !== 'denied-identity';
}
