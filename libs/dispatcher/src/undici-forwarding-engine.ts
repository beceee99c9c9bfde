import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import type * as http from 'node:http';
import { pipeline, Transform, type Readable } from 'node:stream';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import { backendServerName } from './backend-tls-name';
import { downstreamRawHeaders } from './forwarded-headers';
import { upstreamPath, type RequestForwarder, type UpstreamRequest } from './forwarding-engine';
import { ListAnswer } from './mcp/list-answer';
import { failForward, hasNoBody, mayReplay } from './upstream-failures';

/** undici refuses these on a request (it manages them itself); the dispatcher already drops the hop-by-hop ones. */
const UNDICI_MANAGED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect']);

/** The headers for undici: the prepared ones, or (rarely: `Expect`) a copy without those it manages itself. */
function undiciHeaders(prepared: http.OutgoingHttpHeaders): Record<string, string | string[]> {
  if (!('expect' in prepared)) return prepared as Record<string, string | string[]>;
  const headers: Record<string, string | string[]> = {};
  for (const name in prepared) {
    const value = prepared[name];
    if (value === undefined || UNDICI_MANAGED.has(name)) continue;
    headers[name] = typeof value === 'number' ? String(value) : value;
  }
  return headers;
}

/** The request body for undici: the client's stream itself; a chunked one (no Content-Length for the request log) through a counter. */
function requestBody(req: http.IncomingMessage, upstream: UpstreamRequest): Readable | null {
  if (hasNoBody(req)) return null;
  const exchange = upstream.exchange;
  // No 'data' listener on req: it would start the flow before undici is ready for it.
  if (!exchange || req.headers['content-length'] !== undefined) return req;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      exchange.bytesIn += chunk.length;
      done(null, chunk);
    },
  });
  return pipeline(req, counter, () => undefined);
}

/**
 * undici's connector, with the TLS server name of every connection from the connection's own host
 * (the target URL's): undici would take it from the request's Host header, which it lets win over a
 * `servername` in the connect options. Once per new connection, nothing per request.
 */
function connectorByTargetHost(timeout: number): buildConnector.connector {
  const connect = buildConnector({ timeout });
  return (options, callback) =>
    connect({ ...options, servername: backendServerName(options.hostname) || undefined }, callback);
}

/**
 * The forwarding engine on undici: one keep-alive pool per backend origin (per connect timeout),
 * responses streamed through undici's dispatch handler (the v7 controller interface) with
 * backpressure (a full client socket pauses the backend), SSE headers flushed at once, the backend
 * request aborted when the client leaves. About 1.5× the requests/s of node:http's client on the
 * same machine (docs/performance.md). It carries HTTPS backends, chunked request bodies and
 * `Expect` for the http1 engine, and every plain request when FORWARDING_ENGINE=undici.
 */
@Injectable()
export class UndiciForwardingEngine implements RequestForwarder, OnApplicationShutdown {
  /** One agent per connect timeout (targets usually share one); each keeps a pool per origin. */
  private readonly agents = new Map<number, Agent>();

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
        connect: connectorByTargetHost(connectTimeoutMs),
        pipelining: 1,
      });
      this.agents.set(connectTimeoutMs, agent);
    }
    return agent;
  }

  forward(req: http.IncomingMessage, res: http.ServerResponse, upstream: UpstreamRequest, replayed = false): void {
    const exchange = upstream.exchange;
    const bodiless = hasNoBody(req);
    let controller: Dispatcher.DispatchController | null = null;
    let answered = false;
    let clientGone = false;
    let bodyStarted = false;
    let awaitingDrain = false;
    /** The caller's list filters on this answer (MCP governance); null: the answer passes as it is. */
    let filtered: ListAnswer | null = null;
    const resume = () => {
      awaitingDrain = false;
      controller?.resume();
    };
    const onClose = () => {
      if (res.writableFinished) return;
      clientGone = true;
      controller?.abort(new Error('the client went away'));
    };
    res.on('close', onClose);

    const fail = (error: Error & { code?: string }): void => {
      if (clientGone || res.writableEnded) return;
      // undici cannot tell whether the connection was reused: a fresh one fails with ECONNREFUSED instead.
      if (mayReplay({ replayed, answered, bodiless, method: req.method, reusedConnection: true }, error)) {
        res.removeListener('close', onClose);
        return this.forward(req, res, upstream, true);
      }
      failForward(req, res, exchange, error);
    };

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart: (started) => {
        controller = started;
        if (clientGone) started.abort(new Error('the client went away'));
      },
      onResponseStart: (started, statusCode, _headers, statusMessage) => {
        if (statusCode < 200) return; // 1xx informational: wait for the final answer
        answered = true;
        const { headers, contentType } = downstreamRawHeaders(
          (started.rawHeaders ?? []) as Buffer[],
          upstream.responseHeaders,
          exchange ? { 'x-request-id': exchange.requestId } : {},
        );
        if (upstream.mcpLists) {
          const answer = new ListAnswer(req.method, res, upstream.mcpLists, exchange);
          const handling = answer.begin({ status: statusCode, reason: statusMessage, headers });
          if (handling === 'refused') return started.abort(new Error('the answer was refused by the list filters'));
          if (handling === 'filter') return void (filtered = answer);
        }
        res.writeHead(statusCode, statusMessage || undefined, headers);
        if (/^text\/event-stream/i.test(contentType)) res.flushHeaders();
        else
          setImmediate(() => {
            if (!bodyStarted && !res.writableEnded && !res.destroyed) res.flushHeaders();
          });
      },
      onResponseData: (started, chunk) => {
        bodyStarted = true;
        if (exchange) exchange.bytesOut += chunk.length;
        const flowing = filtered ? filtered.write(chunk) : res.write(chunk);
        if (filtered?.closed) return started.abort(new Error('the answer was ended by the list filters'));
        if (flowing || awaitingDrain) return;
        awaitingDrain = true;
        started.pause();
        res.once('drain', resume);
      },
      onResponseEnd: () => {
        if (filtered) filtered.end();
        else res.end();
      },
      onResponseError: (_controller, error) => fail(error),
    };

    try {
      this.agentFor(upstream.connectTimeoutMs).dispatch(
        {
          origin: upstream.url.origin,
          path: upstreamPath(upstream, req),
          method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
          headers: undiciHeaders(upstream.headers),
          body: upstream.body ?? requestBody(req, upstream),
          headersTimeout: upstream.readTimeoutMs,
          bodyTimeout: upstream.readTimeoutMs,
          // One name per origin: without it undici takes the request's from its Host header and
          // closes the pooled connection whenever that changes ("servername changed"); the
          // connector above decides the TLS name itself. Not in undici's DispatchOptions type.
          servername: upstream.url.hostname,
        } as Dispatcher.DispatchOptions,
        handler,
      );
    } catch (error) {
      fail(error as Error); // undici refused the request itself (e.g. a header value it does not allow)
    }
  }
}
