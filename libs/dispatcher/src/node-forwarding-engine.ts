import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { backendServerName } from './backend-tls-name';
import { downstreamRawHeaders, downstreamResponseHeaders } from './forwarded-headers';
import { upstreamPath, type ForwardingEngine, type UpstreamRequest } from './forwarding-engine';
import type { McpListFilters } from './mcp/governance';
import { ListAnswer } from './mcp/list-answer';
import { failForward, failUpgrade, hasNoBody, mayReplay, UpstreamTimeout } from './upstream-failures';

function requestOptions(
  req: http.IncomingMessage,
  upstream: UpstreamRequest,
  agent: http.Agent | false,
): http.RequestOptions {
  const url = upstream.url;
  const secure = url.protocol === 'https:';
  return {
    protocol: url.protocol,
    hostname: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port || (secure ? 443 : 80),
    method: req.method,
    path: upstreamPath(upstream, req),
    headers: upstream.headers,
    agent,
    // Set, node:https would take SNI and the name verified from the Host header (the client's, with preserve_host_header).
    ...(secure && { servername: backendServerName(url.hostname) }),
  };
}

/** The deadlines on node:http's clock: a pending connection attempt, then the backend's silences. */
function armDeadlines(upReq: http.ClientRequest, upstream: UpstreamRequest): void {
  upReq.once('socket', (socket: Socket) => {
    if (!socket.connecting) return; // a kept-alive connection from the pool
    const timer = setTimeout(() => upReq.destroy(new UpstreamTimeout('connect')), upstream.connectTimeoutMs);
    socket.once('connect', () => clearTimeout(timer));
    socket.once('close', () => clearTimeout(timer));
  });
  upReq.setTimeout(upstream.readTimeoutMs, () => upReq.destroy(new UpstreamTimeout('read')));
}

/**
 * The answer through the caller's list filters (MCP governance), when they take it: true; false
 * when it passes as it is.
 */
function forwardFiltered(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  upstream: UpstreamRequest,
  lists: McpListFilters,
  upReq: http.ClientRequest,
  upRes: http.IncomingMessage,
): boolean {
  const exchange = upstream.exchange;
  const { headers } = downstreamRawHeaders(
    upRes.rawHeaders,
    upstream.responseHeaders,
    exchange ? { 'x-request-id': exchange.requestId } : {},
  );
  const filtered = new ListAnswer(req.method, res, lists, exchange);
  const handling = filtered.begin({ status: upRes.statusCode ?? 502, reason: upRes.statusMessage, headers });
  if (handling === 'pass') return false;
  if (handling === 'refused') {
    upReq.destroy();
    return true;
  }
  upRes.on('error', () => res.destroy());
  upRes.on('aborted', () => res.destroy());
  upRes.on('data', (chunk: Buffer) => {
    if (exchange) exchange.bytesOut += chunk.length;
    const flowing = filtered.write(chunk);
    if (filtered.closed) return void upReq.destroy();
    if (flowing) return;
    upRes.pause();
    res.once('drain', () => upRes.resume());
  });
  upRes.on('end', () => filtered.end());
  return true;
}

/**
 * The node:http engine: keep-alive agents (one pool per backend origin), `pipe` both ways so
 * nothing is buffered, SSE responses flushed as they arrive, and the upstream request destroyed
 * when the client goes away. It carries every upgrade (WebSocket), and plain requests when
 * FORWARDING_ENGINE=node.
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

  forward(req: http.IncomingMessage, res: http.ServerResponse, upstream: UpstreamRequest, replayed = false): void {
    const secure = upstream.url.protocol === 'https:';
    const options = requestOptions(req, upstream, secure ? this.httpsAgent : this.httpAgent);
    // A chunked client body leaves chunked, whatever the method (node:http chunks GET bodies only when told).
    if (req.headers['transfer-encoding'] !== undefined && upstream.body === undefined)
      options.headers = { ...upstream.headers, 'transfer-encoding': 'chunked' };
    const upReq = (secure ? https : http).request(options);
    armDeadlines(upReq, upstream);

    let clientGone = false;
    let answered = false;
    const bodiless = hasNoBody(req);
    upReq.on('error', (error: Error & { code?: string }) => {
      if (clientGone || res.writableEnded) return;
      if (mayReplay({ replayed, answered, bodiless, method: req.method, reusedConnection: upReq.reusedSocket }, error))
        return this.forward(req, res, upstream, true);
      failForward(req, res, upstream.exchange, error);
    });

    upReq.on('response', (upRes) => {
      answered = true;
      if (upstream.mcpLists && forwardFiltered(req, res, upstream, upstream.mcpLists, upReq, upRes)) return;
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
    if (upstream.body !== undefined) upReq.end(upstream.body);
    else if (bodiless) upReq.end();
    else {
      const exchange = upstream.exchange;
      if (exchange && !replayed) req.on('data', (chunk: Buffer) => (exchange.bytesIn += chunk.length));
      req.pipe(upReq);
    }
  }

  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, upstream: UpstreamRequest): void {
    const secure = upstream.url.protocol === 'https:';
    // Upgraded connections leave the pool for good, so they get their own connection.
    const upReq = (secure ? https : http).request(requestOptions(req, upstream, false));
    armDeadlines(upReq, upstream);
    let settled = false;
    const abandon = () => {
      if (!settled) upReq.destroy();
    };
    socket.on('error', abandon);
    socket.on('close', abandon);

    upReq.on('error', (error: Error) => {
      if (settled) return;
      settled = true;
      failUpgrade(socket, upstream.exchange, error);
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
