import {
  caseFoldedMethod,
  namesTarget,
  type McpDenial,
  type McpGovernance,
  type McpListItemFilter,
  type McpMessage,
  type McpRequestVerdict,
  type McpRuleLimits,
} from '@app/dispatcher';
import {
  evaluateCall,
  LISTED_BY,
  listFilter,
  RESOURCE_CORS_HEADERS,
  type McpCall,
  type McpCaller,
  type McpPolicy,
  type McpRuleVerdict,
  type ServedResource,
} from '@app/resources';
import { challenge, metadataUrl } from './bearer-challenge';

/** JSON-RPC error code of a call the resource's policy denies: ours, in the implementation-defined server error range. */
export const POLICY_DENIED = -32003;

/**
 * The rule reported for a tools/call, prompts/get or resource read that names nothing the proxy can
 * read (`params` as an array, a non-string name) while a rule for its method looks at names: what
 * such a call reaches is up to the backend's reading, so it is denied.
 */
export const UNNAMED_RULE = 'unnamed';

type Denied = McpRuleVerdict & { decision: 'denied-scope' | 'denied-identity' };

/** What the denial names: the call, the rule, and for denied-scope the scopes to ask for. */
interface DeniedCall {
  call: McpCall;
  verdict: Denied;
}

const SEVERITY = { allowed: 0, 'denied-scope': 1, 'denied-identity': 2 } as const;

/**
 * The MCP governance of one caller on one resource (docs/mcp.md, "Decisions and audit"): built by
 * ProtectionDecider once per remembered token and resource view (and once per resource for
 * anonymous passthrough callers), evaluated from memory for every inspected request.
 */
export class PolicyGovernance implements McpGovernance {
  readonly metricNames: boolean;
  readonly resourceUri: string;
  private readonly lists = new Map<string, McpListItemFilter | undefined>();
  /** Some rule looks at the name for this method (an unnamed call of it cannot be decided on). */
  private readonly namedMethods = new Map<string, boolean>();

  constructor(
    private readonly policy: McpPolicy,
    private readonly caller: McpCaller,
    private readonly resource: ServedResource,
    /** `https://host[:port]` the caller uses (the challenge's `resource_metadata` is under it). */
    readonly origin: string,
  ) {
    this.metricNames = policy.metricNames;
    this.resourceUri = resource.uri;
  }

  decide(messages: readonly McpMessage[]): McpRequestVerdict {
    let allowedRule: string | undefined;
    /** The rate limits of the rules that allowed calls, with how many calls each allowed. */
    let limits: Map<string, McpRuleLimits> | undefined;
    let worst: DeniedCall | undefined;
    let scopes: Set<string> | undefined;
    for (const message of messages) {
      // A message without a method is the client's answer to a server request: nothing to decide.
      if (message.method === undefined) continue;
      const call: McpCall = { method: message.method, name: message.name };
      const verdict = this.evaluate(call);
      if (verdict.decision === 'allowed') {
        if (messages.length === 1) return allowedVerdict(verdict);
        allowedRule ??= verdict.rule;
        if (verdict.limits && verdict.rule !== undefined) {
          const counted = (limits ??= new Map()).get(verdict.rule);
          if (counted) counted.calls += 1;
          else limits.set(verdict.rule, { rule: verdict.rule, limits: verdict.limits, calls: 1 });
        }
        continue;
      }
      if (verdict.decision === 'denied-scope') for (const s of verdict.scopes) (scopes ??= new Set()).add(s);
      if (!worst || SEVERITY[verdict.decision] > SEVERITY[worst.verdict.decision]) worst = { call, verdict };
    }
    if (!worst) {
      if (allowedRule === undefined) return ALLOWED;
      return limits
        ? { decision: 'allowed', rule: allowedRule, limits: [...limits.values()] }
        : { decision: 'allowed', rule: allowedRule };
    }
    const id = messages.length === 1 ? messages[0].rawId : null;
    return {
      decision: worst.verdict.decision,
      rule: worst.verdict.rule,
      response: this.denial(worst, id, scopes),
    };
  }

  listFilter(method: string): McpListItemFilter | undefined {
    // Only the list methods are kept (clients choose the method: nothing else may grow the map).
    if (!Object.hasOwn(LISTED_BY, method)) return undefined;
    if (this.lists.has(method)) return this.lists.get(method);
    const keep = listFilter(this.policy, this.caller, method);
    this.lists.set(method, keep);
    return keep;
  }

  /**
   * The verdict for one call. `Tools/Call` is not `tools/call` to a glob (methods are case-sensitive
   * in JSON-RPC, and the SDK server matches exactly), but a backend that folds case would run it as
   * `tools/call`: such a spelling of a spec method gets the stricter of the two verdicts; likewise a
   * name with padding or a NUL (`shell `) is also decided as the name a trimming backend reads.
   */
  private evaluate(call: McpCall): McpRuleVerdict {
    let verdict = this.evaluateAs(call);
    const folded = caseFoldedMethod(call.method);
    const trimmed = call.name === undefined ? undefined : trimmedName(call.name);
    if (folded === undefined && trimmed === undefined) return verdict;
    // Every reading a lenient backend may make (method folded, name trimmed, or both): the strictest decides.
    const readings: McpCall[] = [];
    if (folded !== undefined) readings.push({ method: folded, name: call.name });
    if (trimmed !== undefined) readings.push({ method: call.method, name: trimmed });
    if (folded !== undefined && trimmed !== undefined) readings.push({ method: folded, name: trimmed });
    for (const reading of readings) {
      const other = this.evaluateAs(reading);
      if (SEVERITY[other.decision] > SEVERITY[verdict.decision]) verdict = other;
    }
    return verdict;
  }

  private evaluateAs(call: McpCall): McpRuleVerdict {
    if (call.name === undefined && namesTarget(call.method) && this.namesMatter(call.method))
      return { decision: 'denied-identity', rule: UNNAMED_RULE };
    return evaluateCall(this.policy, this.caller, call);
  }

  private namesMatter(method: string): boolean {
    let matter = this.namedMethods.get(method);
    if (matter === undefined) {
      matter = this.policy.rules.some((r) => r.name !== undefined && r.method.test(method));
      this.namedMethods.set(method, matter);
    }
    return matter;
  }

  /** The 403 of a denied request: a JSON-RPC error naming the rule; for denied-scope, the step-up challenge. */
  private denial({ call, verdict }: DeniedCall, id: string | number | null, needed?: Set<string>): McpDenial {
    const what = call.name === undefined ? call.method : `${call.method} ${call.name}`;
    const message = `${what} is denied by rule "${verdict.rule}" of ${this.resource.uri}`;
    const headers: Record<string, string> = { ...RESOURCE_CORS_HEADERS };
    let data: Record<string, unknown> = { rule: verdict.rule, decision: verdict.decision };
    if (verdict.decision === 'denied-scope') {
      // Needed plus held: a client that replaces its scopes by the hint (the SDK does) keeps what it had.
      const required = [...(needed ?? verdict.scopes)];
      data = { ...data, scopes: required };
      headers['www-authenticate'] = challenge({
        error: 'insufficient_scope',
        scope: [...new Set([...required, ...this.caller.scopes])].join(' '),
        resource_metadata: metadataUrl(this.origin, this.resource),
        // Nothing the client wrote goes into the header (a name may hold any character): rule ids and scopes are tokens.
        error_description: `this call needs the scopes ${required.join(' ')} (policy rule ${verdict.rule})`,
      });
    }
    const body = JSON.stringify({ jsonrpc: '2.0', id, error: { code: POLICY_DENIED, message, data } });
    return { status: 403, code: POLICY_DENIED, headers, body };
  }
}

const ALLOWED: McpRequestVerdict = Object.freeze({ decision: 'allowed' });

/** The verdict of a request of one allowed call: the rule, and its rate limits (one call) when it has some. */
function allowedVerdict(verdict: McpRuleVerdict & { decision: 'allowed' }): McpRequestVerdict {
  if (verdict.rule === undefined) return ALLOWED;
  if (!verdict.limits) return { decision: 'allowed', rule: verdict.rule };
  return {
    decision: 'allowed',
    rule: verdict.rule,
    limits: [{ rule: verdict.rule, limits: verdict.limits, calls: 1 }],
  };
}

/**
 * The name a backend that trims, or reads C strings, sees (`shell `, `shell\0x` are `shell`);
 * undefined when that is the name as sent (the usual case: nothing allocated).
 */
function trimmedName(name: string): string | undefined {
  const nul = name.indexOf('\0');
  const cut = nul < 0 ? name : name.slice(0, nul);
  const trimmed = cut.trim();
  return trimmed === name ? undefined : trimmed;
}
