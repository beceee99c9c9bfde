import type * as http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Exchange } from './exchange';
import type { McpListFilters } from './mcp/governance';

/** Everything an engine needs to forward one request; headers are already prepared. */
export interface UpstreamRequest {
  /** Backend base URL; its path (if any) is prefixed to the request path. */
  url: URL;
  headers: http.OutgoingHttpHeaders;
  connectTimeoutMs: number;
  /** Longest silence from the backend (before its headers, or between body bytes). */
  readTimeoutMs: number;
  /** Extra headers for the client's response. */
  responseHeaders?: Record<string, string>;
  /**
   * The whole request body, already read by the proxy (MCP inspection): sent as it is, with the
   * Content-Length of `headers` (set from it); the client's stream is not read again.
   */
  body?: Buffer;
  /** List answers to filter for the caller (MCP governance); the engine applies them to JSON and SSE answers. */
  mcpLists?: McpListFilters;
  /** Where the engine reports bytes, failures and upgrades for the request log and metrics. */
  exchange?: Exchange;
}

/** Streams one request to the backend and the response back; answers 502/504 itself on failure. */
export interface RequestForwarder {
  forward(req: http.IncomingMessage, res: http.ServerResponse, upstream: UpstreamRequest): void;
}

/** Proxies an HTTP upgrade (WebSocket) both ways, or writes the backend's refusal / a 502 on the socket. */
export interface UpgradeForwarder {
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, upstream: UpstreamRequest): void;
}

/** What the dispatcher hands a request to once it is decided: `ForwardingEngines` picks the engine. */
export interface ForwardingEngine extends RequestForwarder, UpgradeForwarder {}

export const FORWARDING_ENGINE = Symbol('FORWARDING_ENGINE');

/** The path the backend is asked for: the target URL's path (if any), then the request's path and query. */
export function upstreamPath(upstream: UpstreamRequest, req: http.IncomingMessage): string {
  const base = upstream.url.pathname;
  return (base === '/' ? '' : base.replace(/\/$/, '')) + (req.url ?? '/');
}
