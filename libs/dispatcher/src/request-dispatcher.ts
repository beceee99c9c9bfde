import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { AppConfig } from '@app/config';
import { sendError, sendSocketError } from './error-responses';
import { upstreamRequestHeaders } from './forwarded-headers';
import { FORWARDING_ENGINE, type ForwardingEngine, type UpstreamRequest } from './forwarding-engine';
import { clientAddressOf } from './client-address';
import { PublicSurfaceRegistry, type PublicRequestInfo } from './public-surface.registry';
import type { ResolvedTarget } from './routing-table';
import { RoutingTableStore } from './routing-table.store';
import { TARGET_AUTH_POLICY, type AuthDecision, type TargetAuthPolicy } from './target-auth';

const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[^:\s[\]]+)(:\d{1,5})?$/i;

/** The host name of a Host header: lower-case, without port or trailing dot; null when malformed. */
export function hostOf(header: string | undefined): string | null {
  const match = HOST_HEADER.exec((header ?? '').trim());
  return match ? match[1].toLowerCase().replace(/\.$/, '') : null;
}

type Prepared =
  | { kind: 'respond'; status: number; message: string; headers?: Record<string, string> }
  | { kind: 'policy'; status: number; headers: Record<string, string>; body: string }
  | { kind: 'forward'; upstream: UpstreamRequest };

/** Host, path, method, client address and scheme of a request, or why it cannot be served. */
function describeRequest(req: IncomingMessage): PublicRequestInfo | { status: number; message: string } {
  const host = hostOf(req.headers.host);
  if (!host) return { status: 400, message: 'missing or malformed Host header' };
  const rawUrl = req.url ?? '/';
  if (!rawUrl.startsWith('/')) return { status: 400, message: 'request target must be a path (origin form)' };
  return { host, path: rawUrl.split('?')[0], method: req.method ?? 'GET', clientIp: clientAddressOf(req.socket), secure: (req.socket as TLSSocket).encrypted === true };
}

/**
 * The request path of the public listeners: public surface (ACME, OAuth, admin hostname) →
 * proxy target by Host → route → auth policy → forwarding engine. Reads only memory.
 */
@Injectable()
export class RequestDispatcher {
  private readonly logger = new Logger(RequestDispatcher.name);

  constructor(
    private readonly config: AppConfig,
    private readonly surface: PublicSurfaceRegistry,
    private readonly table: RoutingTableStore,
    @Inject(FORWARDING_ENGINE) private readonly engine: ForwardingEngine,
    @Optional() @Inject(TARGET_AUTH_POLICY) private readonly authPolicy?: TargetAuthPolicy,
  ) {}

  handle(req: IncomingMessage, res: ServerResponse): void {
    const info = describeRequest(req);
    if ('status' in info) return sendError(req, res, info.status, info.message);
    const handler = this.surface.find(info);
    if (handler) return this.runPublicHandler(handler.name, req, res, () => handler.handle(req, res, info));
    this.route(req, info, false).then(
      (prepared) => {
        switch (prepared.kind) {
          case 'respond':
            return sendError(req, res, prepared.status, prepared.message, prepared.headers);
          case 'policy':
            res.writeHead(prepared.status, { 'content-length': Buffer.byteLength(prepared.body), ...prepared.headers });
            return void res.end(prepared.body);
          case 'forward':
            return this.engine.forward(req, res, prepared.upstream);
        }
      },
      (error: Error) => {
        this.logger.error(`dispatch failed: ${error.message}`);
        sendError(req, res, 500, 'the proxy failed to handle this request');
      },
    );
  }

  /** WebSocket (and other) upgrades: proxy targets and routes only; the public surface has none. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const info = describeRequest(req);
    if ('status' in info) return sendSocketError(socket, info.status, info.message);
    this.route(req, info, true).then(
      (prepared) => {
        switch (prepared.kind) {
          case 'respond':
            return sendSocketError(socket, prepared.status, prepared.message, prepared.headers);
          case 'policy':
            return sendSocketError(socket, prepared.status, prepared.body, prepared.headers);
          case 'forward':
            return this.engine.upgrade(req, socket, head, prepared.upstream);
        }
      },
      (error: Error) => {
        this.logger.error(`upgrade dispatch failed: ${error.message}`);
        sendSocketError(socket, 500, 'the proxy failed to handle this request');
      },
    );
  }

  private async route(req: IncomingMessage, info: PublicRequestInfo, upgrade: boolean): Promise<Prepared> {
    const { host, secure } = info;
    const rawUrl = req.url ?? '/';
    const table = this.table.current;
    const target = table.target(host);
    if (!target || !target.enabled) return { kind: 'respond', status: 404, message: `no proxy target is configured for ${host}` };
    if (!secure && target.redirect_http_to_https) {
      const port = this.config.httpsPort === 443 ? '' : `:${this.config.httpsPort}`;
      return { kind: 'respond', status: 301, message: 'this site is served over https', headers: { location: `https://${host}${port}${rawUrl}` } };
    }
    if (secure ? !target.enable_https : !target.enable_http) return { kind: 'respond', status: 404, message: `${host} is not served over ${secure ? 'https' : 'http'}` };

    const resolved = table.resolve(host, info.method, info.path);
    if (!resolved) return { kind: 'respond', status: 404, message: `no proxy target is configured for ${host}` };
    if (!resolved.upstream) return { kind: 'respond', status: 502, message: resolved.problem ?? 'no backend for this request' };

    let authHeaders: Record<string, string> | undefined;
    let removeHeaders: readonly string[] | undefined;
    let responseHeaders: Record<string, string> | undefined;
    if (this.authPolicy && !resolved.route?.bypass_auth) {
      const decision: AuthDecision = await this.authPolicy.decide(req, resolved, info);
      if (decision.action === 'respond') {
        return { kind: 'policy', status: decision.status, headers: decision.headers ?? {}, body: decision.body ?? '' };
      }
      authHeaders = decision.setHeaders;
      removeHeaders = decision.removeHeaders;
      responseHeaders = decision.responseHeaders;
    }
    return { kind: 'forward', upstream: this.upstream(req, resolved, info, { authHeaders, removeHeaders, responseHeaders }, upgrade) };
  }

  private upstream(
    req: IncomingMessage,
    resolved: ResolvedTarget,
    info: PublicRequestInfo,
    auth: { authHeaders?: Record<string, string>; removeHeaders?: readonly string[]; responseHeaders?: Record<string, string> },
    upgrade: boolean,
  ): UpstreamRequest {
    const url = resolved.upstream as URL;
    const { target } = resolved;
    const upgradeHeader = upgrade ? String(req.headers.upgrade ?? '') : undefined;
    return {
      url,
      connectTimeoutMs: target.connect_timeout * 1000,
      readTimeoutMs: target.read_timeout * 1000,
      responseHeaders: auth.responseHeaders ? { ...auth.responseHeaders, ...target.custom_response_headers } : target.custom_response_headers,
      headers: upstreamRequestHeaders(req.headers, {
        clientIp: info.clientIp,
        proto: info.secure ? 'https' : 'http',
        originalHost: req.headers.host ?? info.host,
        hostHeader: target.preserve_host_header ? (req.headers.host ?? info.host) : url.host,
        customHeaders: target.custom_headers,
        authHeaders: auth.authHeaders,
        removeHeaders: auth.removeHeaders,
        upgrade: upgradeHeader || undefined,
      }),
    };
  }

  private runPublicHandler(name: string, req: IncomingMessage, res: ServerResponse, run: () => void | Promise<void>): void {
    const fail = (error: Error) => {
      this.logger.error(`public handler ${name} failed: ${error.message}`);
      sendError(req, res, 500, 'the proxy failed to handle this request');
    };
    try {
      const result = run();
      if (result) result.catch(fail);
    } catch (error) {
      fail(error as Error);
    }
  }
}
