import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { sendError, sendSocketError } from './error-responses';
import type { Exchange, UpstreamErrorKind } from './exchange';
import { downstreamResponseHeaders } from './forwarded-headers';

/** Everything the engine needs to forward one request; headers are already prepared. */
export interface UpstreamRequest {
  /** Backend base URL; its path (if any) is prefixed to the request path. */
  url: URL;
  headers: http.OutgoingHttpHeaders;
  connectTimeoutMs: number;
  /** Longest silence from the backend (before its headers, or between body bytes). */
  readTimeoutMs: number;
  /** Extra headers for the client's response. */
  responseHeaders?: Record<string, string>;
  /** Where the engine reports bytes, failures and upgrades for the request log and metrics. */
  exchange?: Exchange;
}

/**
 * Moves bytes between a client and a backend. Kept behind this interface so a faster engine
 * (e.g. undici-based) can replace the node:http one without touching routing or policy.
 */
export interface ForwardingEngine {
  /** Streams the request to the backend and the response back; answers 502/504 itself on failure. */
  forward(req: http.IncomingMessage, res: http.ServerResponse, upstream: UpstreamRequest): void;
  /** Proxies an HTTP upgrade (WebSocket) both ways, or writes the backend's refusal / a 502 on the socket. */
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, upstream: UpstreamRequest): void;
}

export const FORWARDING_ENGINE = Symbol('FORWARDING_ENGINE');

/** A connect or read deadline passed (504). */
export class UpstreamTimeout extends Error {
  constructor(readonly phase: 'connect' | 'read') {
    super(
      phase === 'connect' ? 'the backend did not accept the connection in time' : 'the backend did not answer in time',
    );
  }
}

function requestOptions(
  req: http.IncomingMessage,
  upstream: UpstreamRequest,
  agent: http.Agent | false,
): http.RequestOptions {
  const url = upstream.url;
  const base = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return {
    protocol: url.protocol,
    hostname: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port || (url.protocol === 'https:' ? 443 : 80),
    method: req.method,
    path: base + (req.url ?? '/'),
    headers: upstream.headers,
    agent,
  };
}

export interface UpstreamFailure {
  status: number;
  message: string;
  kind: UpstreamErrorKind;
}

export function describeUpstreamError(error: Error & { code?: string }): UpstreamFailure {
  if (error instanceof UpstreamTimeout) return { status: 504, message: error.message, kind: 'timeout' };
  switch (error.code) {
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return { status: 502, message: 'the backend refused the connection', kind: 'connect' };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { status: 502, message: 'the backend host name does not resolve', kind: 'dns' };
    case 'ETIMEDOUT':
      return { status: 504, message: 'the backend did not accept the connection in time', kind: 'timeout' };
    case 'ECONNRESET':
    case 'EPIPE':
      return { status: 502, message: 'the backend closed the connection or sent an invalid response', kind: 'reset' };
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'CERT_HAS_EXPIRED':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return { status: 502, message: `the backend's TLS certificate is not trusted (${error.code})`, kind: 'tls' };
    case undefined:
    default:
      return {
        status: 502,
        message: 'the backend closed the connection or sent an invalid response',
        kind: 'protocol',
      };
  }
}

/** Notes a failure on the exchange (request log `error`, `proxy_upstream_errors_total`). */
export function report(
  exchange: Exchange | undefined,
  failure: UpstreamFailure,
  error: Error & { code?: string },
): void {
  if (!exchange) return;
  exchange.errorKind = failure.kind;
  exchange.error = `upstream ${failure.kind}${error.code ? ` ${error.code}` : ''}: ${failure.message}`;
}

/** No request body announced (so the request can be replayed). */
export function hasNoBody(req: http.IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
}

/** Connection attempts that stay pending longer than `ms` fail with a connect timeout. */
function armConnectTimeout(upReq: http.ClientRequest, ms: number): void {
  upReq.once('socket', (socket: Socket) => {
    if (!socket.connecting) return; // a kept-alive connection from the pool
    const timer = setTimeout(() => upReq.destroy(new UpstreamTimeout('connect')), ms);
    socket.once('connect', () => clearTimeout(timer));
    socket.once('close', () => clearTimeout(timer));
  });
}

/**
 * The node:http engine: keep-alive agents (one pool per backend origin), `pipe` both ways so
 * nothing is buffered, SSE responses flushed as they arrive, and the upstream request destroyed
 * when the client goes away.
 */
@Injectable()
export class NodeHttpForwardingEngine implements ForwardingEngine, OnApplicationShutdown {
  private readonly httpAgent = new http.Agent({
    keepAlive: true,
    maxSockets: Infinity,
    maxFreeSockets: 256,
    timeout: 60_000,
  });
  private readonly httpsAgent = new https.Agent({
    keepAlive: true,
    maxSockets: Infinity,
    maxFreeSockets: 256,
    timeout: 60_000,
  });

  onApplicationShutdown(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  forward(req: http.IncomingMessage, res: http.ServerResponse, upstream: UpstreamRequest, attempt = 0): void {
    const secure = upstream.url.protocol === 'https:';
    const options = requestOptions(req, upstream, secure ? this.httpsAgent : this.httpAgent);
    // A chunked client body leaves chunked, whatever the method (node:http chunks GET bodies only when told).
    if (req.headers['transfer-encoding'] !== undefined)
      options.headers = { ...upstream.headers, 'transfer-encoding': 'chunked' };
    const upReq = (secure ? https : http).request(options);
    armConnectTimeout(upReq, upstream.connectTimeoutMs);
    upReq.setTimeout(upstream.readTimeoutMs, () => upReq.destroy(new UpstreamTimeout('read')));

    let clientGone = false;
    let answered = false;
    const bodiless = hasNoBody(req);
    upReq.on('error', (error: Error & { code?: string }) => {
      if (clientGone || res.writableEnded) return;
      // A kept-alive connection the backend closed meanwhile: replay a body-less request once on a new one.
      if (attempt === 0 && !answered && bodiless && upReq.reusedSocket && error.code === 'ECONNRESET') {
        this.forward(req, res, upstream, 1);
        return;
      }
      const failure = describeUpstreamError(error);
      report(upstream.exchange, failure, error);
      sendError(req, res, failure.status, failure.message); // destroys the response when headers were already sent
    });

    upReq.on('response', (upRes) => {
      answered = true;
      const headers = downstreamResponseHeaders(upRes.headers, upstream.responseHeaders);
      if (upstream.exchange) headers['x-request-id'] = upstream.exchange.requestId;
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, headers);
      // Event streams: send the headers now; every event is then written as it arrives (pipe does not batch).
      // Other responses: headers go with the first body bytes, or on their own if the body is not there yet
      // (a backend that answers early and streams later must not have its headers held back).
      if (/^text\/event-stream/i.test(String(upRes.headers['content-type'] ?? ''))) res.flushHeaders();
      else {
        let bodyStarted = false;
        upRes.once('data', () => (bodyStarted = true));
        setImmediate(() => {
          if (!bodyStarted && !res.writableEnded && !res.destroyed) res.flushHeaders();
        });
      }
      upRes.on('error', () => res.destroy());
      upRes.on('aborted', () => res.destroy());
      const exchange = upstream.exchange;
      if (exchange) upRes.on('data', (chunk: Buffer) => (exchange.bytesOut += chunk.length));
      upRes.pipe(res);
    });

    // Client gone before the response finished: abort the backend request too.
    res.on('close', () => {
      if (res.writableFinished) return;
      clientGone = true;
      upReq.destroy();
    });
    req.on('error', () => upReq.destroy());
    if (bodiless) upReq.end();
    else {
      const exchange = upstream.exchange;
      if (exchange && attempt === 0) req.on('data', (chunk: Buffer) => (exchange.bytesIn += chunk.length));
      req.pipe(upReq);
    }
  }

  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, upstream: UpstreamRequest): void {
    const secure = upstream.url.protocol === 'https:';
    // Upgraded connections leave the pool for good, so they get their own connection.
    const upReq = (secure ? https : http).request(requestOptions(req, upstream, false));
    armConnectTimeout(upReq, upstream.connectTimeoutMs);
    upReq.setTimeout(upstream.readTimeoutMs, () => upReq.destroy(new UpstreamTimeout('read')));
    let settled = false;
    const abandon = () => {
      if (!settled) upReq.destroy();
    };
    socket.on('error', abandon);
    socket.on('close', abandon);

    upReq.on('error', (error: Error) => {
      if (settled) return;
      settled = true;
      const failure = describeUpstreamError(error);
      report(upstream.exchange, failure, error);
      if (upstream.exchange) upstream.exchange.socketStatus = failure.status;
      sendSocketError(socket, failure.status, failure.message);
    });

    upReq.on('upgrade', (upRes, upSocket: Socket, upHead: Buffer) => {
      settled = true;
      if (upstream.exchange) {
        upstream.exchange.socketStatus = upRes.statusCode ?? 101;
        upstream.exchange.onUpgraded?.();
      }
      upReq.setTimeout(0);
      upSocket.setTimeout(0);
      upSocket.setNoDelay(true);
      const lines = [`HTTP/1.1 ${upRes.statusCode ?? 101} ${upRes.statusMessage ?? 'Switching Protocols'}`];
      for (let i = 0; i < upRes.rawHeaders.length; i += 2)
        lines.push(`${upRes.rawHeaders[i]}: ${upRes.rawHeaders[i + 1]}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (upHead.length > 0) socket.write(upHead);
      if (head.length > 0) upSocket.write(head);
      const closeBoth = () => {
        socket.destroy();
        upSocket.destroy();
      };
      upSocket.on('error', closeBoth);
      upSocket.on('close', () => socket.end());
      socket.on('error', closeBoth);
      socket.on('close', () => upSocket.end());
      upSocket.pipe(socket);
      socket.pipe(upSocket);
    });

    // The backend answered without switching protocols: pass its answer on and close.
    upReq.on('response', (upRes) => {
      settled = true;
      if (upstream.exchange) upstream.exchange.socketStatus = upRes.statusCode ?? 502;
      const lines = [`HTTP/1.1 ${upRes.statusCode ?? 502} ${upRes.statusMessage ?? ''}`];
      const headers = downstreamResponseHeaders(upRes.headers, upstream.responseHeaders);
      for (const [name, value] of Object.entries(headers))
        for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${String(v)}`);
      lines.push('connection: close');
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      upRes.pipe(socket);
    });

    upReq.end();
  }
}
