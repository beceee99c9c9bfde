import { caseFoldedMethod } from './mcp-methods';

/** What the proxy reads of one JSON-RPC message on an MCP endpoint (for the header check and the audit). */
export interface McpMessage {
  /** `method` when it is a string (a request or notification); undefined for a response. */
  method?: string;
  /** The tool or prompt (`params.name`) or resource (`params.uri`) the message names, for the methods that name one. */
  name?: string;
  /** The JSON-RPC id as text (requests), undefined for notifications and an id that is neither string nor number. */
  id?: string;
  /** The id as sent (string or number), for the id of an error answer; null when none. */
  rawId: string | number | null;
  /** A `method` that is not a string: a backend may still read one (`handlers[String(method)]`). */
  malformedMethod?: true;
}

export type McpBody =
  { kind: 'messages'; messages: McpMessage[]; batch: boolean } | { kind: 'unparsable'; reason: string };

/** Methods whose `params.name` names the tool or prompt (2026-07-28: the value `Mcp-Name` mirrors). */
const NAMED_BY_NAME = new Set(['tools/call', 'prompts/get']);
/** Methods whose `params.uri` names the resource. */
const NAMED_BY_URI = new Set(['resources/read', 'resources/subscribe', 'resources/unsubscribe']);

/** True for the methods that name a tool, prompt or resource (those `Mcp-Name` is required for). */
export function namesTarget(method: string | undefined): boolean {
  return method !== undefined && (NAMED_BY_NAME.has(method) || NAMED_BY_URI.has(method));
}

function messageOf(value: unknown): McpMessage {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { rawId: null };
  const v = value as Record<string, unknown>;
  const method = typeof v.method === 'string' ? v.method : undefined;
  const rawId = typeof v.id === 'string' || typeof v.id === 'number' ? v.id : null;
  const message: McpMessage = { method, rawId, id: rawId === null ? undefined : String(rawId) };
  if (method === undefined && Object.hasOwn(v, 'method')) message.malformedMethod = true;
  const params = v.params;
  if (method === undefined || typeof params !== 'object' || params === null) return message;
  // `Tools/Call` names its tool as `tools/call` does, for a backend that folds case (mcp-methods.ts).
  const naming = caseFoldedMethod(method) ?? method;
  const named = (params as Record<string, unknown>)[NAMED_BY_URI.has(naming) ? 'uri' : 'name'];
  if (namesTarget(naming) && typeof named === 'string') message.name = named;
  return message;
}

/**
 * The JSON-RPC messages of a request body: one object or a batch (array). Only JSON itself is
 * required here; what is not a JSON-RPC message (a number, an object without `method`) is read as a
 * message without method, name or id, and is left to the backend to refuse.
 */
export function readJsonRpc(body: Buffer): McpBody {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    return { kind: 'unparsable', reason: (error as Error).message };
  }
  if (Array.isArray(value)) return { kind: 'messages', messages: value.map(messageOf), batch: true };
  return { kind: 'messages', messages: [messageOf(value)], batch: false };
}
