import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { McpDecision } from './mcp/governance';

/** The public listener a connection arrived on (metrics and request-log `listener`). */
export type PublicListenerName = 'http' | 'https' | 'proxy-protocol';

/** How reaching or reading a backend failed (the `kind` label of `proxy_upstream_errors_total`). */
export type UpstreamErrorKind = 'connect' | 'timeout' | 'reset' | 'tls' | 'dns' | 'protocol';

/** Who the auth policy identified (OAuth user / client), recorded in the request log. */
export interface RequestIdentity {
  user?: string;
  clientId?: string;
  /** The token's `sub` (GitHub user id): what per-user rate limits count by (a login can be renamed). */
  sub?: string;
}

/** The JSON-RPC request an inspected MCP request carried: its first message, and the batch size. */
export interface McpAudit {
  method?: string;
  name?: string;
  id?: string;
  /** Messages in the batch; undefined for a single message. */
  batch?: number;
  /** The governance verdict (a protected resource's MCP policy), when one was taken. */
  decision?: McpDecision;
  /** The policy rule that decided (`default` when the policy's default denied). */
  rule?: string;
  /** The JSON-RPC error code of the answer, when the proxy wrote or read it. */
  errorCode?: number;
  /** The policy lets the tool or prompt name be a metric label (`mcp_requests_total{name}`). */
  metricNames?: boolean;
}

/**
 * What the data path learns about one request while answering it: filled by the dispatcher and the
 * forwarding engine, read once when the response closes to write the request-log entry and the
 * metrics. A plain object on the request; nothing here touches Redis.
 */
export interface Exchange {
  requestId: string;
  listener: PublicListenerName;
  /** The real client address (a trusted balancer's forwarded headers, the PROXY header or the TCP peer), read at arrival: the socket may be gone at the end. */
  clientIp: string;
  /** The client used https: TLS on our listener, or https at a trusted balancer (X-Forwarded-Proto / `proto=`). */
  secure: boolean;
  /** The X-Forwarded-For chain for the backend when a trusted balancer sent one (client first, the balancer last). */
  forwardedFor?: string;
  /** Arrival, epoch ms, and a monotonic start for the duration. */
  ts: number;
  startedAt: number;
  /** Matched proxy target hostname (bounded metrics label); '-' when none matched. */
  targetHost: string;
  upstream?: string;
  bytesIn: number;
  bytesOut: number;
  /** Status written on a raw socket (upgrades), where there is no ServerResponse. */
  socketStatus?: number;
  error?: string;
  errorKind?: UpstreamErrorKind;
  identity?: RequestIdentity;
  /** Set when the proxy read the request as JSON-RPC (a protected MCP endpoint). */
  mcp?: McpAudit;
  /** The auth policy's refusal was a 403 (request log `decision` when no JSON-RPC was read). */
  authDecision?: McpDecision;
  /** Called by the engine when an upgrade switched protocols (WebSocket open). */
  onUpgraded?: () => void;
  /** Set by the engine: called first when the client's response closes (one 'close' listener per request, not two). */
  onResponseClose?: () => void;
}

const EXCHANGE = Symbol.for('mcp-proxy.exchange');
const LISTENER = Symbol('publicListener');
type WithExchange = IncomingMessage & { [EXCHANGE]?: Exchange };
type WithListener = Socket & { [LISTENER]?: PublicListenerName };

/** Marks a connection with the listener it arrived on. */
export function tagListener(socket: Socket, listener: PublicListenerName): void {
  (socket as WithListener)[LISTENER] = listener;
}

export function listenerOf(socket: Socket): PublicListenerName {
  return (socket as WithListener)[LISTENER] ?? 'http';
}

export function attachExchange(req: IncomingMessage, exchange: Exchange): void {
  (req as WithExchange)[EXCHANGE] = exchange;
}

/** The exchange of a request that came through the public listeners (undefined otherwise). */
export function exchangeOf(req: IncomingMessage): Exchange | undefined {
  return (req as WithExchange)[EXCHANGE];
}

/**
 * Lets code that answers a public request itself (e.g. the OAuth endpoints reached through the
 * public surface) name the user or OAuth client for the request log.
 */
export function annotateRequest(req: IncomingMessage, identity: RequestIdentity): void {
  const exchange = exchangeOf(req);
  if (exchange) exchange.identity = { ...exchange.identity, ...identity };
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/; // the admin API accepts the same

/** The client's X-Request-Id when it is a sane token, else a new UUID. */
export function requestIdFor(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}

/** The request id the data path uses for this request (or a fresh one outside the data path). */
export function requestIdOf(req: IncomingMessage): string {
  return exchangeOf(req)?.requestId ?? randomUUID();
}
