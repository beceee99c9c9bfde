import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clientAddressOfRequest } from '@app/http/client-address';
import { NO_HOST, ProxyMetrics } from '@app/metrics';
import { RequestLogWriter } from './request-log.writer';

/** Set by the dispatcher on requests that came through the public listeners (it records those itself). */
const DATA_PATH_EXCHANGE = Symbol.for('mcp-proxy.exchange');

/** Probes and scrapes: counted in metrics, not written to the request log. */
const NOT_LOGGED = new Set(['/health', '/metrics']);

/**
 * Records every admin API request (listener `api`) in the request log and the request metrics,
 * from a Fastify onResponse hook, so 401s from the guard and 404s of unknown routes are included.
 * `auth_user` is the calling token's name.
 */
@Injectable()
export class AdminRequestLogHook implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly writer: RequestLogWriter,
    private readonly metrics: ProxyMetrics,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify?.addHook) return;
    fastify.addHook('onResponse', async (request, reply) => this.onResponse(request, reply));
  }

  onResponse(request: FastifyRequest, reply: FastifyReply): void {
    // Public-surface requests (OAuth, ACME, admin hostname) reached Nest through the dispatcher,
    // which logs and counts them with their public listener and real client address.
    if (DATA_PATH_EXCHANGE in request.raw) return;
    const durationMs = reply.elapsedTime;
    const status = reply.statusCode;
    this.metrics.observeRequest({ listener: 'api', host: NO_HOST, status, durationMs });
    const path = request.url.split('?')[0];
    if (NOT_LOGGED.has(path)) return;
    const auth = (request as FastifyRequest & { auth?: { tokenName: string } }).auth;
    const bytesIn = Number(request.headers['content-length']);
    this.writer.record({
      ts: Math.round(Date.now() - durationMs),
      client_ip: clientAddressOfRequest(request.raw),
      host: request.hostname,
      method: request.method,
      path,
      status,
      bytes_in: Number.isFinite(bytesIn) ? bytesIn : undefined,
      bytes_out: Number(reply.getHeader('content-length')) || 0,
      duration_ms: durationMs,
      auth_user: auth?.tokenName,
      request_id: String(request.id),
      listener: 'api',
    });
  }
}
