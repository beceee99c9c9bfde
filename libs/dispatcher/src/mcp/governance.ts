import type { McpMessage } from './json-rpc';

/** The audit decision of an MCP request (request log `decision`, metrics `decision` label). */
export type McpDecision = 'allowed' | 'denied-scope' | 'denied-identity';

/** The answer the proxy writes for a denied MCP request (403, formatted by the auth policy). */
export interface McpDenial {
  status: number;
  /** The JSON-RPC error code of `body` (request log `mcp_error`). */
  code: number;
  headers: Record<string, string>;
  body: string;
}

export type McpRequestVerdict =
  | { decision: 'allowed'; rule?: string }
  | { decision: 'denied-scope' | 'denied-identity'; rule: string; response: McpDenial };

/** Keeps a listed item (tool or prompt name, resource URI or URI template) in a list answer. */
export type McpListItemFilter = (name: string) => boolean;

/**
 * Filters for the list answers of one request, by JSON-RPC id (as text): the backend's answer to
 * that id has its `result.tools` / `prompts` / `resources` / `resourceTemplates` filtered. Where a
 * response has filters, what the proxy cannot read (a JSON body, an SSE event) is dropped, not passed.
 */
export interface McpListFilters {
  byId: ReadonlyMap<string, { method: string; keep: McpListItemFilter }>;
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
}

/** The list filters for the list requests among `messages`, or undefined when none needs one. */
export function listFiltersFor(governance: McpGovernance, messages: readonly McpMessage[]): McpListFilters | undefined {
  let byId: Map<string, { method: string; keep: McpListItemFilter }> | undefined;
  for (const message of messages) {
    if (message.method === undefined || message.id === undefined) continue;
    const keep = governance.listFilter(message.method);
    if (!keep) continue;
    (byId ??= new Map()).set(message.id, { method: message.method, keep });
  }
  return byId ? { byId } : undefined;
}
