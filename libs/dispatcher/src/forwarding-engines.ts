import { Injectable } from '@nestjs/common';
import type * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { AppConfig } from '@app/config';
import type { ForwardingEngine, RequestForwarder, UpstreamRequest } from './forwarding-engine';
import { Http1ForwardingEngine } from './http1-forwarding-engine';
import { NodeHttpForwardingEngine } from './node-forwarding-engine';
import { UndiciForwardingEngine } from './undici-forwarding-engine';

/**
 * The one place that picks the engine for a decided request. Upgrades (WebSocket) go to node:http,
 * whose upgraded connections leave the pool for good anyway. Other requests go to the engine
 * FORWARDING_ENGINE names (`http1`, the default and fastest: docs/performance.md; `undici`;
 * `node`), except what the http1 engine does not carry (HTTPS backends, chunked request bodies,
 * `Expect`), which goes to undici. Every engine applies the caller's list filters (MCP governance:
 * `UpstreamRequest.mcpLists`) through the same `ListAnswer`.
 */
@Injectable()
export class ForwardingEngines implements ForwardingEngine {
  private readonly chosen: RequestForwarder;
  private readonly listAnswerMaxBytes: number;

  constructor(
    config: AppConfig,
    private readonly http1: Http1ForwardingEngine,
    private readonly undici: UndiciForwardingEngine,
    private readonly node: NodeHttpForwardingEngine,
  ) {
    this.chosen = { http1, undici, node }[config.forwardingEngine];
    this.listAnswerMaxBytes = config.mcpListAnswerMaxBytes;
  }

  forward(req: http.IncomingMessage, res: http.ServerResponse, upstream: UpstreamRequest): void {
    const lists = upstream.mcpLists;
    if (lists) {
      // The engines filter what the proxy can read: an uncompressed answer (a compressed one is refused).
      upstream.headers['accept-encoding'] = 'identity';
      lists.maxBytes ??= this.listAnswerMaxBytes;
    }
    const engine =
      this.chosen !== this.http1 || Http1ForwardingEngine.carries(req, upstream) ? this.chosen : this.undici;
    engine.forward(req, res, upstream);
  }

  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, upstream: UpstreamRequest): void {
    this.node.upgrade(req, socket, head, upstream);
  }
}
