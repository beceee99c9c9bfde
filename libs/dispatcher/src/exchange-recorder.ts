import { Injectable, Logger, Optional } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { performance } from 'node:perf_hooks';
import { AppConfig } from '@app/config';
import { tagRequestClientAddress } from '@app/http';
import { McpMetrics, NO_HOST, ProxyMetrics } from '@app/metrics';
import { RequestLogWriter } from '@app/request-log';
import { clientAddressOf } from './client-address';
import { attachExchange, listenerOf, requestIdFor, type Exchange } from './exchange';
import { ForwardedHeaderTrust } from './forwarded-client';
import { hostOf } from './host-header';
import { methodLabel } from './mcp/mcp-methods';
import { TrustedNetworks } from './trusted-networks';

/**
 * The record of each public request: opens its exchange (id, listener, clocks, the real client
 * address and scheme, a trusted balancer's word included), then writes one request-log entry and
 * the metrics when it is over. In memory and synchronous: the writer only appends to its buffer.
 */
@Injectable()
export class ExchangeRecorder {
  private readonly logger = new Logger(ExchangeRecorder.name);
  /** Set only when FORWARDED_TRUSTED_CIDRS names balancers: without it, no request does any extra work. */
  private readonly forwarded?: ForwardedHeaderTrust;

  constructor(
    config: AppConfig,
    @Optional() private readonly requestLog?: RequestLogWriter,
    @Optional() private readonly metrics?: ProxyMetrics,
    @Optional() private readonly mcpMetrics?: McpMetrics,
  ) {
    const cidrs = config.forwardedTrustedCidrs;
    if (cidrs.length > 0)
      this.forwarded = new ForwardedHeaderTrust(
        new TrustedNetworks(cidrs, 'FORWARDED_TRUSTED_CIDRS'),
        config.forwardedHeaders,
      );
  }

  /** Starts the request's exchange record: id, listener, clocks; counts the stream. */
  begin(req: IncomingMessage): Exchange {
    const listener = listenerOf(req.socket);
    const peer = clientAddressOf(req.socket);
    const secure = (req.socket as TLSSocket).encrypted === true;
    const exchange: Exchange = {
      requestId: requestIdFor(req),
      listener,
      clientIp: peer,
      secure,
      ts: Date.now(),
      startedAt: performance.now(),
      targetHost: NO_HOST,
      bytesIn: 0,
      bytesOut: 0,
    };
    if (this.forwarded?.trusts(peer)) this.believeForwarded(req, exchange, peer);
    attachExchange(req, exchange);
    this.metrics?.streamStarted(listener);
    return exchange;
  }

  webSocketOpened(exchange: Exchange): void {
    this.metrics?.webSocketOpened(exchange.targetHost);
  }

  webSocketClosed(exchange: Exchange): void {
    this.metrics?.webSocketClosed(exchange.targetHost);
  }

  /** A trusted balancer's word on the client address and scheme (what it did not validly say, the connection decides). */
  private believeForwarded(req: IncomingMessage, exchange: Exchange, peer: string): void {
    const said = (this.forwarded as ForwardedHeaderTrust).read(req.headers, peer);
    if (said.problem) this.logger.debug(`forwarded headers from ${peer} ignored: ${said.problem}`);
    if (said.clientIp) {
      exchange.clientIp = said.clientIp;
      exchange.forwardedFor = said.forwardedFor;
      tagRequestClientAddress(req, said.clientIp); // the OAuth endpoints (Nest app) rate-limit and log by it too
    }
    if (said.proto) exchange.secure = said.proto === 'https';
  }

  /**
   * The request is over (answered, failed or abandoned): one request-log entry and the metrics.
   * Status 0 = no answer was sent (the client left first), logged as 499 like nginx does.
   */
  finish(req: IncomingMessage, exchange: Exchange, sentStatus: number, contentLength: number): void {
    try {
      const durationMs = performance.now() - exchange.startedAt;
      const status = sentStatus || 499;
      const { listener, targetHost } = exchange;
      if (this.metrics) {
        this.metrics.streamEnded(listener);
        this.metrics.observeRequest({ listener, host: targetHost, status, durationMs });
        if (exchange.errorKind) this.metrics.upstreamError(targetHost, exchange.errorKind);
      }
      const mcp = exchange.mcp;
      // Requests the proxy read and decided on (the first message of a batch names the series).
      if (this.mcpMetrics && mcp?.decision !== undefined)
        this.mcpMetrics.count({
          target: targetHost,
          method: methodLabel(mcp.method),
          decision: mcp.decision,
          name: mcp.metricNames ? mcp.name : undefined,
        });
      if (!this.requestLog) return;
      const rawUrl = req.url ?? '/';
      const query = rawUrl.indexOf('?');
      const contentLengthIn = Number(req.headers['content-length']);
      this.requestLog.record({
        ts: exchange.ts,
        client_ip: exchange.clientIp,
        host: hostOf(req.headers.host) ?? '',
        method: req.method ?? 'GET',
        path: query < 0 ? rawUrl : rawUrl.slice(0, query),
        status,
        bytes_in: exchange.bytesIn || (contentLengthIn > 0 ? contentLengthIn : 0),
        bytes_out: exchange.bytesOut || contentLength,
        duration_ms: durationMs,
        upstream: exchange.upstream,
        auth_user: exchange.identity?.user,
        oauth_client_id: exchange.identity?.clientId,
        request_id: exchange.requestId,
        listener,
        error: exchange.error ?? (sentStatus === 0 ? 'client closed the connection before the answer' : undefined),
        mcp_method: exchange.mcp?.method,
        mcp_name: exchange.mcp?.name,
        mcp_id: exchange.mcp?.id,
        mcp_batch: exchange.mcp?.batch,
        decision: exchange.mcp?.decision ?? exchange.authDecision,
        mcp_rule: exchange.mcp?.rule,
        mcp_error: exchange.mcp?.errorCode,
      });
    } catch (error) {
      this.logger.warn(`request not recorded: ${(error as Error).message}`);
    }
  }
}
