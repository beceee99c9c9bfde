import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import type * as http from 'node:http';
import { sendError } from './error-responses';
import { downstreamRawHeaders } from './forwarded-headers';
import { upstreamPath, type RequestForwarder, type UpstreamRequest } from './forwarding-engine';
import type { EndOutcome, ResponseHead } from './http1/response-parser';
import type { McpListFilters } from './mcp/governance';
import { ListAnswer } from './mcp/list-answer';
import { UpstreamPool, type Exchanger, type UpstreamConnection } from './http1/upstream-pool';
import { failForward, hasNoBody, mayReplay } from './upstream-failures';

/** A header value that would end its line early (we never send a header the backend reads differently). */
const LINE_BREAKING = /[\r\n\0]/;

/** The request line and headers for the backend, or null when a value would break a line. */
function requestHead(req: http.IncomingMessage, upstream: UpstreamRequest): string | null {
  let head = `${req.method ?? 'GET'} ${upstreamPath(upstream, req)} HTTP/1.1\r\n`;
  const headers = upstream.headers;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      for (const item of value) {
        if (LINE_BREAKING.test(item)) return null;
        head += `${name}: ${item}\r\n`;
      }
    } else {
      const text = typeof value === 'string' ? value : String(value);
      if (LINE_BREAKING.test(text)) return null;
      head += `${name}: ${text}\r\n`;
    }
  }
  return `${head}\r\n`;
}

/**
 * One client request forwarded over a pooled upstream connection: writes the request, turns the
 * parsed answer into the client's response (headers and a small body leave in one write), passes
 * backpressure both ways, replays a body-less request once when a kept-alive connection turns out
 * to be closed, and answers 502/504 itself when the backend fails before answering.
 */
class ForwardCall implements Exchanger {
  private connection: UpstreamConnection | null = null;
  private reusedConnection = false;
  private head: ResponseHead | null = null;
  private headWritten = false;
  private firstBody: Buffer | null = null;
  private over = false;
  private replayed = false;
  private stopBody: (() => void) | null = null;
  /** The caller's list filters on this answer (MCP governance); null: the answer passes as it is. */
  private filtered: ListAnswer | null = null;
  private readonly bodiless: boolean;
  private awaitingDrain = false;
  private readonly resumeUpstream = () => {
    this.awaitingDrain = false;
    this.connection?.socket.resume();
  };

  constructor(
    private readonly pool: UpstreamPool,
    private readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
    private readonly upstream: UpstreamRequest,
    private readonly requestText: string,
  ) {
    this.bodiless = hasNoBody(req);
    const onClose = () => this.responseClosed();
    if (upstream.exchange) upstream.exchange.onResponseClose = onClose;
    else res.once('close', onClose);
  }

  private responseClosed(): void {
    if (this.over || this.res.writableFinished) return;
    // The client left before the answer was complete: the backend connection goes too.
    this.over = true;
    this.endBody();
    this.connection?.abandon();
    this.connection = null;
  }

  start(fresh: boolean): void {
    const url = this.upstream.url;
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const connection = this.pool.acquire(host, Number(url.port) || 80, this.upstream.connectTimeoutMs, fresh);
    this.connection = connection;
    this.reusedConnection = connection.reused;
    connection.attach(this, this.req.method === 'HEAD', this.upstream.readTimeoutMs);
    connection.socket.write(this.requestText, 'latin1');
    if (this.upstream.body) connection.socket.write(this.upstream.body);
    else if (!this.bodiless) this.sendBody(connection);
  }

  onHead(head: ResponseHead): void {
    this.head = head;
    const lists = this.upstream.mcpLists;
    if (lists) this.beginFiltered(head, lists);
  }

  onBody(view: Buffer): void {
    // A view of the pool's shared read buffer: the response may hold on to what it is given.
    const chunk = Buffer.from(view);
    const exchange = this.upstream.exchange;
    if (exchange) exchange.bytesOut += chunk.length;
    if (this.filtered) return this.writeFiltered(this.filtered, chunk);
    if (!this.headWritten) {
      if (this.firstBody === null) {
        this.firstBody = chunk; // with the headers in one write, when the answer completes in this read
        return;
      }
      this.flushHead();
    }
    this.write(chunk);
  }

  onReadEnd(): void {
    if (this.head && !this.headWritten) this.flushHead();
  }

  onComplete(): void {
    this.over = true;
    this.connection = null;
    this.endBody();
    if (this.filtered) return this.filtered.end();
    if (this.headWritten) return void this.res.end();
    if (!this.writeHead()) return;
    const body = this.firstBody;
    this.firstBody = null;
    if (body) this.res.end(body);
    else this.res.end();
  }

  onFailure(error: Error & { code?: string }, outcome: EndOutcome | 'error'): void {
    if (this.over) return;
    this.connection = null;
    this.endBody();
    const state = {
      replayed: this.replayed,
      answered: this.head !== null || outcome === 'truncated', // 'truncated': some of the head came
      bodiless: this.bodiless,
      method: this.req.method,
      reusedConnection: this.reusedConnection,
    };
    if (mayReplay(state, error)) {
      this.replayed = true;
      return this.start(true);
    }
    this.fail(error);
  }

  private fail(error: Error & { code?: string }): void {
    this.over = true;
    failForward(this.req, this.res, this.upstream.exchange, error);
  }

  /** The answer goes through the list filters, which write the head themselves (or refuse the answer). */
  private beginFiltered(head: ResponseHead, lists: McpListFilters): void {
    const filtered = new ListAnswer(this.req.method, this.res, lists, this.upstream.exchange);
    const handling = filtered.begin({ status: head.status, reason: head.reason, headers: this.clientHeaders(head) });
    if (handling === 'pass') return;
    this.headWritten = true;
    this.filtered = filtered;
    if (handling === 'refused') this.stopReading();
  }

  private writeFiltered(filtered: ListAnswer, chunk: Buffer): void {
    const flowing = filtered.write(chunk);
    if (filtered.closed) return this.stopReading();
    if (!flowing) this.waitForDrain();
  }

  /** The proxy answered or ended the stream itself: the rest of the backend's answer is not read. */
  private stopReading(): void {
    this.over = true;
    this.endBody();
    this.connection?.abandon();
    this.connection = null;
  }

  /** Headers now, with the first body bytes if some came (an event stream or slow body must not wait). */
  private flushHead(): void {
    if (!this.writeHead()) return;
    const body = this.firstBody;
    this.firstBody = null;
    if (body) this.write(body);
    else this.res.flushHeaders();
  }

  private clientHeaders(head: ResponseHead): string[] {
    const exchange = this.upstream.exchange;
    return downstreamRawHeaders(
      head.headers,
      this.upstream.responseHeaders,
      exchange ? { 'x-request-id': exchange.requestId } : {},
    ).headers;
  }

  private writeHead(): boolean {
    const head = this.head as ResponseHead;
    this.headWritten = true;
    try {
      this.res.writeHead(head.status, head.reason || undefined, this.clientHeaders(head));
      return true;
    } catch (error) {
      // node:http refused a header the parser let through: the backend's answer cannot be passed on.
      this.connection?.abandon();
      this.connection = null;
      this.headWritten = false;
      this.fail(Object.assign(error as Error, { code: 'HPE_UPSTREAM_RESPONSE' }));
      return false;
    }
  }

  private write(chunk: Buffer): void {
    if (!this.res.write(chunk)) this.waitForDrain();
  }

  private waitForDrain(): void {
    const connection = this.connection;
    // Several chunks of one read may each find the client's buffer full: one 'drain' listener is enough.
    if (!connection || this.awaitingDrain) return;
    this.awaitingDrain = true;
    connection.socket.pause();
    this.res.once('drain', this.resumeUpstream);
  }

  /** Streams the request body (Content-Length framed: chunked ones never come here: `carries`). */
  private sendBody(connection: UpstreamConnection): void {
    const req = this.req;
    connection.requestPending = true;
    let paused = false;
    const onData = (chunk: Buffer) => {
      if (connection.socket.write(chunk) || paused) return;
      paused = true;
      req.pause();
      connection.socket.once('drain', () => {
        paused = false;
        req.resume();
      });
    };
    const onEnd = () => {
      connection.requestPending = false;
      this.stopBody = null;
      req.removeListener('data', onData);
    };
    req.on('data', onData);
    req.once('end', onEnd);
    this.stopBody = () => {
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.resume(); // the rest is read and dropped, so the client's connection stays usable
    };
  }

  private endBody(): void {
    this.stopBody?.();
    this.stopBody = null;
  }
}

/**
 * The forwarding engine for plain-HTTP backends: our own HTTP/1.1 client on pooled keep-alive
 * connections (http1/upstream-pool.ts, http1/response-parser.ts) — about twice the requests/s of
 * undici's for small answers on this machine (docs/performance.md), because it does only what a
 * proxy needs: one string for the request head, the answer's headers straight into `writeHead`.
 * It carries only what `carries` accepts; `ForwardingEngines` sends the rest elsewhere.
 */
@Injectable()
export class Http1ForwardingEngine implements RequestForwarder, OnApplicationShutdown {
  private readonly pool = new UpstreamPool();

  /**
   * Plain HTTP with a Content-Length body (or none) and no `Expect`, or a body the proxy already
   * read: no TLS, chunked encoding or 100-continue here.
   */
  static carries(req: http.IncomingMessage, upstream: UpstreamRequest): boolean {
    return (
      upstream.url.protocol === 'http:' &&
      (upstream.body !== undefined ||
        (req.headers['transfer-encoding'] === undefined && req.headers.expect === undefined))
    );
  }

  onApplicationShutdown(): void {
    this.pool.close();
  }

  forward(req: http.IncomingMessage, res: http.ServerResponse, upstream: UpstreamRequest): void {
    const text = requestHead(req, upstream);
    if (text === null) return sendError(req, res, 502, 'a header for the backend contains a line break');
    new ForwardCall(this.pool, req, res, upstream, text).start(false);
  }
}
