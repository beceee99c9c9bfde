import type { RateLimit } from '@app/config';
import type { McpMessage } from './json-rpc';
import { caseFoldedMethod } from './mcp-methods';

/** The audit decision of an MCP request (request log `decision`, metrics `decision` label). */
export type McpDecision = 'allowed' | 'denied-scope' | 'denied-identity' | 'rate-limited';

/** The answer the proxy writes for a denied MCP request (403, formatted by the auth policy). */
export interface McpDenial {
  status: number;
  /** The JSON-RPC error code of `body` (request log `mcp_error`). */
  code: number;
  headers: Record<string, string>;
  body: string;
}

export type McpRequestVerdict =
  /** `limits`: the rate limits of the rules that allowed the calls, with how many calls each rule matched. */
  | { decision: 'allowed'; rule?: string; limits?: readonly McpRuleLimits[] }
  | { decision: 'denied-scope' | 'denied-identity'; rule: string; response: McpDenial };

/** The rate limits of one MCP rule and how many calls of the request it matched. */
export interface McpRuleLimits {
  rule: string;
  limits: readonly RateLimit[];
  calls: number;
}

/** Keeps a listed item (tool or prompt name, resource URI or URI template) in a list answer. */
export type McpListItemFilter = (name: string) => boolean;

/**
 * Filters for the list answers of one request, by JSON-RPC id (as text): the backend's answer to
 * that id has its `result.tools` / `prompts` / `resources` / `resourceTemplates` filtered. Where a
 * response has filters, what the proxy cannot read (a JSON body, an SSE event) is dropped, not passed.
 */
export interface McpListFilters {
  byId: ReadonlyMap<string, { method: string; keep: McpListItemFilter }>;
  /**
   * A GET event stream (the legacy HTTP+SSE transport, a resumed stream): answers to requests the
   * proxy never saw, so every response carrying a list (`result.tools`...) is filtered by its list
   * method's filter, whatever its id; events and answers that are not JSON pass (the legacy
   * transport's `endpoint` event), since they list nothing a client reads.
   */
  stream?: ReadonlyMap<string, McpListItemFilter>;
  /** The most bytes held to filter (a JSON answer, one SSE event): set by ForwardingEngines from MCP_LIST_ANSWER_MAX_BYTES. */
  maxBytes?: number;
}

/**
 * The MCP governance of one authenticated caller on one protected resource, built by the auth
 * policy (which knows the token's scopes and identity and the resource's rules) and handed to the
 * dispatcher in its forward decision. Evaluated from memory after the body was inspected.
 */
export interface McpGovernance {
  /** The verdict for the messages of one request; a batch is denied when any message is. */
  decide(messages: readonly McpMessage[]): McpRequestVerdict;
  /** What a list method may show this caller; undefined when nothing would be hidden. */
  listFilter(method: string): McpListItemFilter | undefined;
  /** The policy lets tool and prompt names be metric labels (`mcp_requests_total{name}`). */
  readonly metricNames?: boolean;
  /** The resource's URI: its rules' rate limits are counted per resource (`rule:<uri>:<rule id>`). */
  readonly resourceUri?: string;
}

/** The list method a message asks for as a case-folding backend reads it (`Tools/List` is tools/list). */
function listMethodOf(message: McpMessage): string | undefined {
  return message.method === undefined ? undefined : (caseFoldedMethod(message.method) ?? message.method);
}

/**
 * Why the policy cannot be applied to these messages, or undefined. Backends read JSON-RPC more
 * loosely than the proxy (docs/security.md, "MCP governance"): a `method` that is not a string may
 * still run as one, and a backend may answer a list request whose id the proxy cannot key a filter
 * on (none, null, `true`), or two list requests that share an id, with one list left unfiltered.
 */
export function ungovernableMessages(governance: McpGovernance, messages: readonly McpMessage[]): string | undefined {
  const listIds = new Set<string>();
  for (const message of messages) {
    if (message.malformedMethod) return 'the method of a request must be a string';
    const method = listMethodOf(message);
    if (method === undefined || !governance.listFilter(method)) continue;
    if (message.id === undefined) return `${method} must have a string or number id (its answer is filtered by id)`;
    if (listIds.has(message.id)) return `two list requests in one batch have the id ${message.id}`;
    listIds.add(message.id);
  }
  return undefined;
}

/** The list filters for the list requests among `messages`, or undefined when none needs one. */
export function listFiltersFor(governance: McpGovernance, messages: readonly McpMessage[]): McpListFilters | undefined {
  let byId: Map<string, { method: string; keep: McpListItemFilter }> | undefined;
  for (const message of messages) {
    const method = listMethodOf(message);
    if (method === undefined || message.id === undefined) continue;
    const keep = governance.listFilter(method);
    if (!keep) continue;
    (byId ??= new Map()).set(message.id, { method, keep });
  }
  return byId ? { byId } : undefined;
}

/** The list methods a GET event stream may carry answers to. */
const LIST_METHODS = ['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list'] as const;

/** The list filters of a GET event stream, or undefined when the policy hides nothing from this caller. */
export function streamListFilters(governance: McpGovernance): McpListFilters | undefined {
  let stream: Map<string, McpListItemFilter> | undefined;
  for (const method of LIST_METHODS) {
    const keep = governance.listFilter(method);
    if (keep) (stream ??= new Map()).set(method, keep);
  }
  return stream ? { byId: new Map(), stream } : undefined;
}
