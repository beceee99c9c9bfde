import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { listElements } from '@app/http';

/** Hop-by-hop headers (RFC 9110 §7.6.1) plus the legacy ones proxies must not forward. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
]);

/**
 * A (lower-case) header name as CGI/WSGI, PHP and many frameworks read it: `_` and `-` are one.
 * Names without `_` (nearly all) come back as they are, after one scan of a short string.
 */
export function canonicalHeaderName(name: string): string {
  return name.indexOf('_') < 0 ? name : name.replace(/_/g, '-');
}

/**
 * Client-address and path-override headers backends and their libraries read (`request-ip`, PHP
 * `HTTP_CLIENT_IP`, CDN conventions; IIS, Symfony < 3.4 and Zend serve `X-Original-URL` /
 * `X-Rewrite-URL` instead of the request path): only the proxy says who the client is and which
 * path was decided on. Canonical (lower-case, `-`) names.
 */
const CLIENT_CLAIMS: ReadonlySet<string> = new Set([
  'x-real-ip',
  'forwarded',
  'x-forwarded',
  'forwarded-for',
  'x-client-ip',
  'x-cluster-client-ip',
  'client-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
  'x-original-url',
  'x-rewrite-url',
]);

/** Client-supplied identity, forwarding and path-override headers, in any spelling (lower-case name): removed before the proxy sets its own. */
export function isIdentityHeader(name: string): boolean {
  const first = name.charCodeAt(0);
  // Most names: one or two comparisons (x-, f-, c-, t- names are the only candidates).
  if (first !== 120 /* x */ && first !== 102 /* f */ && first !== 99 /* c */ && first !== 116 /* t */) return false;
  const canonical = canonicalHeaderName(name);
  return canonical.startsWith('x-forwarded-') || canonical.startsWith('x-auth-') || CLIENT_CLAIMS.has(canonical);
}

/** An `_` spelling of a header the proxy or the policy sets or removes (those names are canonical, lower-case). */
function isRespelled(name: string, ctx: UpstreamHeaderContext): boolean {
  const canonical = canonicalHeaderName(name);
  return (
    (ctx.authHeaders !== undefined && hasName(ctx.authHeaders, canonical)) ||
    (ctx.customHeaders !== undefined && hasName(ctx.customHeaders, canonical)) ||
    ctx.removeHeaders?.includes(canonical) === true
  );
}

function hasName(headers: Record<string, string>, lowerCaseName: string): boolean {
  for (const name in headers) if (name.toLowerCase() === lowerCaseName) return true;
  return false;
}

const NONE_LISTED: ReadonlySet<string> = new Set();

/** Header names listed in Connection are hop-by-hop for this message too. */
function connectionListed(headers: IncomingHttpHeaders): ReadonlySet<string> {
  const value = headers.connection;
  if (value === undefined) return NONE_LISTED;
  return new Set(listElements(value).map((t) => t.toLowerCase()));
}

export interface UpstreamHeaderContext {
  clientIp: string;
  /** X-Forwarded-For to send: a trusted balancer's chain ending with the balancer; default clientIp. */
  forwardedFor?: string;
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
 * Forwarded, X-Real-IP and X-Auth-* header removed, in any spelling (`_` for `-`, as CGI/WSGI/PHP
 * read them), as well as `_` spellings of the headers the proxy or the policy sets or removes; then
 * the proxy's own set. The framing is the proxy's: the Content-Length Node parsed and validated
 * (Transfer-Encoding is hop-by-hop: the engine encodes chunked itself), whatever `Connection` lists.
 */
export function upstreamRequestHeaders(incoming: IncomingHttpHeaders, ctx: UpstreamHeaderContext): OutgoingHttpHeaders {
  const listed = connectionListed(incoming);
  const removed = ctx.removeHeaders;
  const out: OutgoingHttpHeaders = {};
  // for..in and includes() on the policy's one or two names: no entries arrays or Sets per request.
  for (const name in incoming) {
    const value = incoming[name];
    if (
      value === undefined ||
      HOP_BY_HOP.has(name) ||
      name === 'content-length' ||
      name === 'host' ||
      listed.has(name) ||
      isIdentityHeader(name) ||
      removed?.includes(name)
    )
      continue;
    if (name.indexOf('_') >= 0 && isRespelled(name, ctx)) continue;
    out[name] = value;
  }
  // An upgrade's bytes after the head are the new protocol's, never a body: no length for them.
  const length = incoming['content-length'];
  if (length !== undefined && !ctx.upgrade) out['content-length'] = length;
  out.host = ctx.hostHeader;
  out['x-forwarded-for'] = ctx.forwardedFor ?? ctx.clientIp;
  out['x-forwarded-proto'] = ctx.proto;
  out['x-forwarded-host'] = ctx.originalHost;
  out['x-real-ip'] = ctx.clientIp;
  const custom = ctx.customHeaders;
  if (custom) for (const name in custom) out[name.toLowerCase()] = custom[name];
  const auth = ctx.authHeaders;
  if (auth) for (const name in auth) out[name.toLowerCase()] = auth[name];
  if (ctx.upgrade) {
    out.connection = 'Upgrade';
    out.upgrade = ctx.upgrade;
  }
  return out;
}

/** The backend's response headers for the client: hop-by-hop removed, the target's extra headers added. */
export function downstreamResponseHeaders(
  incoming: IncomingHttpHeaders,
  custom: Record<string, string> = {},
): OutgoingHttpHeaders {
  const listed = connectionListed(incoming);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name)) continue;
    out[name] = value;
  }
  for (const [name, value] of Object.entries(custom)) out[name.toLowerCase()] = value;
  return out;
}

/**
 * The same as `downstreamResponseHeaders`, from raw header pairs (undici's `Buffer[]`, or strings) straight to
 * the flat `[name, value, ...]` list `writeHead` takes without building header objects. The
 * target's extra headers and `extra` (e.g. X-Request-Id) replace the backend's of the same name.
 * Also returns the content type (to spot event streams).
 */
export function downstreamRawHeaders(
  raw: readonly (Buffer | string)[],
  custom: Record<string, string> | undefined,
  extra: Record<string, string>,
): { headers: string[]; contentType: string } {
  const headers: string[] = [];
  let contentType = '';
  let listed: Set<string> | null = null;
  const customNames = custom && lowerCaseNames(custom);
  const names: string[] = new Array<string>(raw.length / 2);
  for (let i = 0; i < raw.length; i += 2) {
    const name = latin1(raw[i]).toLowerCase();
    names[i / 2] = name;
    if (name === 'connection') {
      listed ??= new Set();
      for (const token of listElements(latin1(raw[i + 1]))) listed.add(token.toLowerCase());
    }
  }
  for (let i = 0; i < raw.length; i += 2) {
    const name = names[i / 2];
    if (HOP_BY_HOP.has(name) || listed?.has(name) || name === 'connection') continue;
    if (customNames?.has(name) || name in extra) continue;
    const value = latin1(raw[i + 1]);
    if (name === 'content-type') contentType = value;
    headers.push(name, value);
  }
  if (custom) for (const name in custom) headers.push(name.toLowerCase(), custom[name]);
  for (const name in extra) headers.push(name, extra[name]);
  return { headers, contentType };
}

function latin1(value: Buffer | string): string {
  return typeof value === 'string' ? value : value.toString('latin1');
}

const lowerCaseNamesOf = new WeakMap<Record<string, string>, ReadonlySet<string>>();

/** The lower-case names of a target's extra headers, computed once per (immutable) header object. */
function lowerCaseNames(custom: Record<string, string>): ReadonlySet<string> {
  let names = lowerCaseNamesOf.get(custom);
  if (names === undefined) {
    names = new Set(Object.keys(custom).map((name) => name.toLowerCase()));
    lowerCaseNamesOf.set(custom, names);
  }
  return names;
}
