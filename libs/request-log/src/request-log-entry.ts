/** Which listener answered: the admin API, the public HTTP/HTTPS listeners, or the PROXY-protocol port. */
export type RequestLogListener = 'api' | 'http' | 'https' | 'proxy-protocol';
export const LISTENERS: readonly RequestLogListener[] = ['api', 'http', 'https', 'proxy-protocol'];

/** The authorization decision of a request on a protected target (MCP policies; the proxy's own 403s). */
export type RequestLogDecision = 'allowed' | 'denied-scope' | 'denied-identity' | 'rate-limited';
export const DECISIONS: readonly RequestLogDecision[] = ['allowed', 'denied-scope', 'denied-identity', 'rate-limited'];

/**
 * One answered request. The dispatcher builds one per proxied request (client_ip is the PROXY
 * protocol address when the listener uses it); the admin API's hook one per API request.
 */
export interface RequestLogEntry {
  /** When the request arrived, epoch milliseconds. */
  ts: number;
  client_ip: string;
  /** Host the client asked for, lower case, without port. */
  host: string;
  method: string;
  /** Path only, never the query string (it may carry codes or tokens). */
  path: string;
  status: number;
  bytes_in?: number;
  bytes_out: number;
  duration_ms: number;
  /** Backend URL or instance name the request went to. */
  upstream?: string;
  /** GitHub login of the OAuth user, or the API token name on the admin API. */
  auth_user?: string;
  oauth_client_id?: string;
  request_id: string;
  listener: RequestLogListener;
  /** Why the proxy failed the request (upstream connect refused, timeout...), if it did. */
  error?: string;
  /** A request the proxy read as JSON-RPC (a protected MCP endpoint): the first message's method... */
  mcp_method?: string;
  /** ... the tool or prompt name or resource URI it names ... */
  mcp_name?: string;
  /** ... and its id; */
  mcp_id?: string;
  /** the number of messages when the body was a batch. */
  mcp_batch?: number;
  /**
   * `allowed`, `denied-scope` (more scope would allow it) or `denied-identity` (no scope would): an
   * inspected MCP request's verdict, or the proxy's own 403 before any body was read.
   */
  decision?: RequestLogDecision;
  /** The MCP policy rule that decided (`default` when the policy's default denied). */
  mcp_rule?: string;
  /** The JSON-RPC error code of the answer: the proxy's own refusals (-32003, -32020, -32700...) or the backend's. */
  mcp_error?: number;
}

/** An entry as stored: its stream id (`<ms>-<seq>`) plus the fields. */
export interface StoredLogEntry extends RequestLogEntry {
  id: string;
}

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'];

/** `2xx`, `4xx`... for a status code; `other` outside 100-599. */
export function statusClassOf(status: number): string {
  return status >= 100 && status < 600 ? STATUS_CLASSES[Math.floor(status / 100) - 1] : 'other';
}

/** "Error" in the request log: any 4xx/5xx answer, or a failure noted by the proxy. */
export function isErrorEntry(entry: Pick<RequestLogEntry, 'status' | 'error'>): boolean {
  return entry.status >= 400 || !!entry.error;
}

/** A server-side failure: what the per-host error rate counts. */
export function isServerError(entry: Pick<RequestLogEntry, 'status' | 'error'>): boolean {
  return entry.status >= 500 || !!entry.error;
}

const OPTIONAL_STRINGS = [
  'upstream',
  'auth_user',
  'oauth_client_id',
  'error',
  'mcp_method',
  'mcp_name',
  'mcp_id',
  'mcp_rule',
] as const;

/**
 * Parses a stored entry, checking every field's type. Returns null for a malformed entry (the
 * query skips it and the caller logs the id) rather than letting a bad value flow into answers.
 */
export function decodeLogEntry(id: string, raw: string): StoredLogEntry | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const strings = ['client_ip', 'host', 'method', 'path', 'request_id'];
  const numbers = ['ts', 'status', 'bytes_out', 'duration_ms'];
  if (
    !strings.every((k) => typeof v[k] === 'string') ||
    !numbers.every((k) => typeof v[k] === 'number' && Number.isFinite(v[k]))
  )
    return null;
  if (!LISTENERS.includes(v.listener as RequestLogListener)) return null;
  if (v.bytes_in !== undefined && typeof v.bytes_in !== 'number') return null;
  if (v.mcp_batch !== undefined && typeof v.mcp_batch !== 'number') return null;
  if (v.mcp_error !== undefined && typeof v.mcp_error !== 'number') return null;
  if (v.decision !== undefined && !DECISIONS.includes(v.decision as RequestLogDecision)) return null;
  if (!OPTIONAL_STRINGS.every((k) => v[k] === undefined || typeof v[k] === 'string')) return null;
  const entry: StoredLogEntry = {
    id,
    ts: v.ts as number,
    client_ip: v.client_ip as string,
    host: v.host as string,
    method: v.method as string,
    path: v.path as string,
    status: v.status as number,
    bytes_out: v.bytes_out as number,
    duration_ms: v.duration_ms as number,
    request_id: v.request_id as string,
    listener: v.listener as RequestLogListener,
  };
  if (v.bytes_in !== undefined) entry.bytes_in = v.bytes_in as number;
  if (v.mcp_batch !== undefined) entry.mcp_batch = v.mcp_batch as number;
  if (v.mcp_error !== undefined) entry.mcp_error = v.mcp_error as number;
  if (v.decision !== undefined) entry.decision = v.decision as RequestLogDecision;
  for (const k of OPTIONAL_STRINGS) if (v[k] !== undefined) entry[k] = v[k] as string;
  return entry;
}

/** Normalises what the writer stores: lower-case host, path without query, bounded strings. */
export function normaliseEntry(entry: RequestLogEntry): RequestLogEntry {
  const out: RequestLogEntry = {
    ts: Math.round(entry.ts),
    client_ip: clip(entry.client_ip, 64),
    host: clip(entry.host.toLowerCase(), 255),
    method: clip(entry.method.toUpperCase(), 16),
    path: clip(withoutQuery(entry.path), 2048),
    status: entry.status,
    bytes_out: entry.bytes_out,
    duration_ms: Math.round(entry.duration_ms * 100) / 100,
    request_id: clip(entry.request_id, 128),
    listener: entry.listener,
  };
  if (entry.bytes_in !== undefined) out.bytes_in = entry.bytes_in;
  if (entry.upstream) out.upstream = clip(entry.upstream, 512);
  if (entry.auth_user) out.auth_user = clip(entry.auth_user, 128);
  if (entry.oauth_client_id) out.oauth_client_id = clip(entry.oauth_client_id, 128);
  if (entry.error) out.error = clip(entry.error, 512);
  if (entry.mcp_method !== undefined) out.mcp_method = clip(entry.mcp_method, 128);
  if (entry.mcp_name !== undefined) out.mcp_name = clip(entry.mcp_name, 512);
  if (entry.mcp_id !== undefined) out.mcp_id = clip(entry.mcp_id, 128);
  if (entry.mcp_batch !== undefined) out.mcp_batch = entry.mcp_batch;
  if (entry.decision !== undefined) out.decision = entry.decision;
  if (entry.mcp_rule !== undefined) out.mcp_rule = clip(entry.mcp_rule, 128);
  if (entry.mcp_error !== undefined) out.mcp_error = entry.mcp_error;
  return out;
}

function withoutQuery(path: string): string {
  const query = path.indexOf('?');
  return query < 0 ? path : path.slice(0, query);
}

function clip(value: string, max: number): string {
  return value.length > max ? value.slice(0, max) : value;
}
