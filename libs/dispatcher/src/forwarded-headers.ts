import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** Hop-by-hop headers (RFC 9110 §7.6.1) plus the legacy ones proxies must not forward. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'proxy-authenticate']);

/** Client-supplied identity headers: removed before the proxy sets its own. */
function isIdentityHeader(name: string): boolean {
  return name.startsWith('x-forwarded-') || name.startsWith('x-auth-') || name === 'x-real-ip' || name === 'forwarded';
}

/** Header names listed in Connection are hop-by-hop for this message too. */
function connectionListed(headers: IncomingHttpHeaders): Set<string> {
  const value = headers.connection;
  const list = Array.isArray(value) ? value.join(',') : (value ?? '');
  return new Set(
    list
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  );
}

export interface UpstreamHeaderContext {
  clientIp: string;
  proto: 'http' | 'https';
  /** The Host header the client sent (becomes X-Forwarded-Host). */
  originalHost: string;
  /** The Host header to send (the client's, or the backend's own when the target does not preserve it). */
  hostHeader: string;
  customHeaders?: Record<string, string>;
  /** Headers decided by the auth policy (e.g. X-Auth-User): set last, after the client's were removed. */
  authHeaders?: Record<string, string>;
  /** Further client headers to drop (lower-case), decided by the auth policy (e.g. `authorization`). */
  removeHeaders?: readonly string[];
  /** Keep `Connection: Upgrade` / `Upgrade` (WebSocket). */
  upgrade?: string;
}

/**
 * The request headers for the backend: hop-by-hop headers and every client-supplied X-Forwarded-*,
 * Forwarded, X-Real-IP and X-Auth-* header removed; then the proxy's own set.
 */
export function upstreamRequestHeaders(incoming: IncomingHttpHeaders, ctx: UpstreamHeaderContext): OutgoingHttpHeaders {
  const listed = connectionListed(incoming);
  const removed = new Set(ctx.removeHeaders ?? []);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name) || isIdentityHeader(name) || removed.has(name) || name === 'host') continue;
    out[name] = value;
  }
  out.host = ctx.hostHeader;
  out['x-forwarded-for'] = ctx.clientIp;
  out['x-forwarded-proto'] = ctx.proto;
  out['x-forwarded-host'] = ctx.originalHost;
  out['x-real-ip'] = ctx.clientIp;
  for (const [name, value] of Object.entries(ctx.customHeaders ?? {})) out[name.toLowerCase()] = value;
  for (const [name, value] of Object.entries(ctx.authHeaders ?? {})) out[name.toLowerCase()] = value;
  if (ctx.upgrade) {
    out.connection = 'Upgrade';
    out.upgrade = ctx.upgrade;
  }
  return out;
}

/** The backend's response headers for the client: hop-by-hop removed, the target's extra headers added. */
export function downstreamResponseHeaders(incoming: IncomingHttpHeaders, custom: Record<string, string> = {}): OutgoingHttpHeaders {
  const listed = connectionListed(incoming);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name)) continue;
    out[name] = value;
  }
  for (const [name, value] of Object.entries(custom)) out[name.toLowerCase()] = value;
  return out;
}
