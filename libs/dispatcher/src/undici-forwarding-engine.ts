import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import type * as http from 'node:http';
import { pipeline, Transform, type Duplex, type Readable } from 'node:stream';
import { Agent, type Dispatcher } from 'undici';
import { sendError } from './error-responses';
import { downstreamRawHeaders } from './forwarded-headers';
import {
  describeUpstreamError,
  hasNoBody,
  NodeHttpForwardingEngine,
  report,
  type ForwardingEngine,
  type UpstreamFailure,
  type UpstreamRequest,
} from './forwarding-engine';

/** undici refuses these on a request (it manages them itself); the dispatcher already drops the hop-by-hop ones. */
const UNDICI_MANAGED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect']);

function undiciFailure(error: Error & { code?: string }): UpstreamFailure {
  switch (error.code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return { status: 504, message: 'the backend did not accept the connection in time', kind: 'timeout' };
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return { status: 504, message: 'the backend did not answer in time', kind: 'timeout' };
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return { status: 502, message: 'the backend closed the connection or sent an invalid response', kind: 'reset' };
    case 'HPE_INVALID_CONSTANT':
    case 'UND_ERR_RESPONSE_STATUS_CODE':
    case 'UND_ERR_INFO':
      return {
        status: 502,
        message: 'the backend closed the connection or sent an invalid response',
        kind: 'protocol',
      };
    case undefined:
    default:
      // ECONNREFUSED, ENOTFOUND, TLS verification codes...: the same answers as the node:http engine.
      return describeUpstreamError(error);
  }
}

/**
 * The forwarding engine on undici: one keep-alive pool per backend origin (per connect timeout),
 * responses streamed through the raw dispatch handler with backpressure (the client's socket
 * pauses the backend), SSE headers flushed at once, the backend request aborted when the client
 * leaves. About 1.5× the requests/s of node:http's client on the same machine (docs/performance.md).
 * WebSocket upgrades stay on the node:http engine.
 */
@Injectable()
export class UndiciForwardingEngine implements ForwardingEngine, OnApplicationShutdown {
  /** One agent per connect timeout (targets usually share one); each keeps a pool per origin. */
  private readonly agents = new Map<number, Agent>();

  constructor(private readonly upgrades: NodeHttpForwardingEngine) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.destroy().catch(() => undefined)));
    this.agents.clear();
  }

  private agentFor(connectTimeoutMs: number): Agent {
    let agent = this.agents.get(connectTimeoutMs);
    if (!agent) {
      agent = new Agent({
        keepAliveTimeout: 60_000,
        keepAliveMaxTimeout: 600_000,
        connect: { timeout: connectTimeoutMs },
        pipelining: 1,
      });
      this.agents.set(connectTimeoutMs, agent);
    }
    return agent;
  }

  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, upstream: UpstreamRequest): void {
    this.upgrades.upgrade(req, socket, head, upstream);
  }

  forward(req: http.IncomingMessage, res: http.ServerResponse, upstream: UpstreamRequest, attempt = 0): void {
    const url = upstream.url;
    const base = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
    const bodiless = hasNoBody(req);
    const exchange = upstream.exchange;
    let headers = upstream.headers as Record<string, string | string[]>;
    if ('expect' in headers || 'connection' in headers) {
      // Rare: copy without the headers undici manages itself.
      headers = {};
      for (const name in upstream.headers) {
        const value = upstream.headers[name];
        if (value === undefined || UNDICI_MANAGED.has(name)) continue;
        headers[name] = typeof value === 'number' ? String(value) : value;
      }
    }

    let abort: ((error?: Error) => void) | null = null;
    let answered = false;
    let clientGone = false;
    let bodyStarted = false;
    let resume: (() => void) | null = null;
    const onDrain = () => resume?.();

    const onClose = () => {
      if (res.writableFinished) return;
      clientGone = true;
      abort?.(new Error('the client went away'));
    };
    res.on('close', onClose);
    // The body goes to undici as the request stream itself; a chunked one (no Content-Length for
    // the request log) through a counter. No 'data' listener on req: it would start the flow early.
    let body: Readable | null = bodiless ? null : req;
    if (body && exchange && req.headers['content-length'] === undefined) {
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          exchange.bytesIn += chunk.length;
          done(null, chunk);
        },
      });
      body = pipeline(req, counter, () => undefined);
    }

    const handler: Dispatcher.DispatchHandler = {
      onConnect: (abortRequest) => {
        abort = abortRequest;
        if (clientGone) abortRequest(new Error('the client went away'));
      },
      onHeaders: (statusCode, rawHeaders, resumeBody, statusText) => {
        if (statusCode < 200) return true; // 1xx informational: wait for the final answer
        answered = true;
        resume = resumeBody;
        const { headers: out, contentType } = downstreamRawHeaders(
          rawHeaders as unknown as Buffer[],
          upstream.responseHeaders,
          exchange ? { 'x-request-id': exchange.requestId } : {},
        );
        res.writeHead(statusCode, statusText || undefined, out);
        if (/^text\/event-stream/i.test(contentType)) res.flushHeaders();
        else
          setImmediate(() => {
            if (!bodyStarted && !res.writableEnded && !res.destroyed) res.flushHeaders();
          });
        return true;
      },
      onData: (chunk) => {
        bodyStarted = true;
        if (exchange) exchange.bytesOut += chunk.length;
        if (res.write(chunk)) return true;
        res.once('drain', onDrain);
        return false;
      },
      onComplete: () => {
        res.end();
      },
      onError: (error: Error & { code?: string }) => {
        if (clientGone || res.writableEnded) return;
        // A kept-alive connection the backend closed meanwhile: replay a body-less request once on a new one.
        if (
          attempt === 0 &&
          !answered &&
          bodiless &&
          (error.code === 'UND_ERR_SOCKET' || error.code === 'ECONNRESET')
        ) {
          res.removeListener('close', onClose);
          this.forward(req, res, upstream, 1);
          return;
        }
        const failure = undiciFailure(error);
        report(exchange, failure, error);
        sendError(req, res, failure.status, failure.message); // destroys the response when headers were already sent
      },
    };

    try {
      this.agentFor(upstream.connectTimeoutMs).dispatch(
        {
          origin: url.origin,
          path: base + (req.url ?? '/'),
          method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
          headers,
          body,
          headersTimeout: upstream.readTimeoutMs,
          bodyTimeout: upstream.readTimeoutMs,
        },
        handler,
      );
    } catch (error) {
      handler.onError?.(error as Error);
    }
  }
}
