import {
  isErrorEntry,
  RequestLogDecision,
  RequestLogListener,
  statusClassOf,
  StoredLogEntry,
} from './request-log-entry';

/** A resolved query: a time window plus optional field filters. */
export interface LogFilter {
  sinceMs: number;
  untilMs: number;
  hostname?: string;
  ip?: string;
  user?: string;
  clientId?: string;
  /** Exact status (404) or class (`4xx`). */
  status?: { exact: number } | { class: string };
  method?: string;
  pathPrefix?: string;
  listener?: RequestLogListener;
  /** JSON-RPC method of an inspected MCP request (its first message), exact. */
  mcpMethod?: string;
  /** Tool or prompt name or resource URI of an inspected MCP request, exact. */
  mcpName?: string;
  /** Authorization decision (MCP policies, the proxy's own 403s), exact. */
  decision?: RequestLogDecision;
  /** MCP policy rule id that decided, exact. */
  mcpRule?: string;
  /** Free text: substring of path, host, IP, user, client, upstream, error or request id. */
  q?: string;
  errorsOnly?: boolean;
  /** Only OAuth traffic: the OAuth endpoints and requests carrying an OAuth user or client. */
  oauthOnly?: boolean;
  /** Set for non-admin callers: only these hosts, and never admin-API entries. */
  allowedHosts?: Set<string>;
}

export function matches(filter: LogFilter, e: StoredLogEntry): boolean {
  if (e.ts < filter.sinceMs || e.ts > filter.untilMs) return false;
  if (filter.allowedHosts && (e.listener === 'api' || !filter.allowedHosts.has(e.host))) return false;
  if (filter.hostname !== undefined && e.host !== filter.hostname) return false;
  if (filter.ip !== undefined && e.client_ip !== filter.ip) return false;
  if (filter.user !== undefined && e.auth_user !== filter.user) return false;
  if (filter.clientId !== undefined && e.oauth_client_id !== filter.clientId) return false;
  if (filter.status) {
    if ('exact' in filter.status ? e.status !== filter.status.exact : statusClassOf(e.status) !== filter.status.class)
      return false;
  }
  if (filter.method !== undefined && e.method !== filter.method) return false;
  if (filter.pathPrefix !== undefined && !e.path.startsWith(filter.pathPrefix)) return false;
  if (filter.listener !== undefined && e.listener !== filter.listener) return false;
  if (filter.mcpMethod !== undefined && e.mcp_method !== filter.mcpMethod) return false;
  if (filter.mcpName !== undefined && e.mcp_name !== filter.mcpName) return false;
  if (filter.decision !== undefined && e.decision !== filter.decision) return false;
  if (filter.mcpRule !== undefined && e.mcp_rule !== filter.mcpRule) return false;
  if (filter.errorsOnly && !isErrorEntry(e)) return false;
  if (filter.oauthOnly && oauthStep(e) === 'other') return false;
  if (filter.q !== undefined) {
    const q = filter.q.toLowerCase();
    const fields = [e.path, e.host, e.client_ip, e.auth_user, e.oauth_client_id, e.upstream, e.error, e.request_id];
    if (!fields.some((f) => f !== undefined && f.toLowerCase().includes(q))) return false;
  }
  return true;
}

/** Nearest-rank percentile of ascending-sorted values. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

export type OAuthStep = 'register' | 'authorize' | 'callback' | 'token' | 'protected_call' | 'other';

const OAUTH_PATH = /^\/(register|authorize|callback|token)(\/|$)/;

/** Where an entry sits in an OAuth flow, by the OAuth endpoint paths and the identity it carries. */
export function oauthStep(
  entry: Pick<StoredLogEntry, 'path' | 'auth_user' | 'oauth_client_id' | 'listener'>,
): OAuthStep {
  if (entry.listener === 'api') return 'other';
  const match = OAUTH_PATH.exec(entry.path);
  if (match) return match[1] as OAuthStep;
  return entry.auth_user || entry.oauth_client_id ? 'protected_call' : 'other';
}
