import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { AppConfig } from '@app/config';
import { canonicalPath, isRefusal } from '@app/http';

import { closeAfterEarlyAnswer, type DrainLimits } from '@app/http/lingering-close';
import { sendError, sendSocketError } from './error-responses';
import { upstreamRequestHeaders } from './forwarded-headers';
import { FORWARDING_ENGINE, type ForwardingEngine, type UpstreamRequest } from './forwarding-engine';
import { clientAddressOf } from './client-address';
import { exchangeOf, type Exchange } from './exchange';
import { ExchangeRecorder } from './exchange-recorder';
import { hostOf } from './host-header';
import {
  listFiltersFor,
  streamListFilters,
  ungovernableMessages,
  type McpDenial,
  type McpGovernance,
  type McpListFilters,
} from './mcp/governance';
import { invalidRequest, isJsonContentType, McpInspection, type McpRefusal } from './mcp/mcp-inspection';
import { PublicSurfaceRegistry, type PublicRequestInfo } from './public-surface.registry';
import type { ResolvedTarget } from './routing-table';
import { framingProblem } from './request-framing';
import { RoutingTableStore } from './routing-table.store';
import type { RateLimitCharge, RateLimitOutcome } from './rate-limiting';
import { RequestLimits, type RateLimitAnswer } from './request-limits';
import { closeAtExpiry } from './upgrade-expiry';
import { TARGET_AUTH_POLICY, type AuthDecision, type TargetAuthPolicy } from './target-auth';

/**
 * Runs `produce`; hands its value (now, or when its promise settles) to `apply`, and a throw or a
 * rejection of either to `fail`. No promise is made when `produce` answers synchronously.
 */
function settle<T>(produce: () => T | Promise<T>, apply: (value: T) => void, fail: (error: Error) => void): void {
  const applySafely = (value: T): void => {
    try {
      apply(value);
    } catch (error) {
      fail(error as Error);
    }
  };
  let value: T | Promise<T>;
  try {
    value = produce();
  } catch (error) {
    return fail(error as Error);
  }
  if (value instanceof Promise) value.then(applySafely, fail);
  else applySafely(value);
}

type Prepared =
  | { kind: 'respond'; status: number; message: string; headers?: Record<string, string> }
  | { kind: 'policy'; status: number; headers: Record<string, string>; body: string }
  /**
   * `charges`: the rate limits it counts against (decided before it is forwarded); `expiresAt`: when
   * the credential expires (epoch s), the end of an upgraded connection.
   */
  | { kind: 'forward'; upstream: UpstreamRequest; charges?: RateLimitCharge[]; expiresAt?: number }
  /**
   * Forwarded once its body was read and checked as JSON-RPC (a protected MCP endpoint); its
   * charges are decided with those of the rules that allowed its calls, after the verdict.
   */
  | { kind: 'inspect'; upstream: UpstreamRequest; governance?: McpGovernance; charges?: RateLimitCharge[] };

/**
 * Why a request to a resource with an MCP policy cannot be governed, if it cannot: only uncompressed
 * JSON POSTs are read, so a WebSocket, another method with a body, or a POST in another media type
 * or with a Content-Encoding is refused.
 */
function ungovernedRequest(
  req: IncomingMessage,
  method: string,
  upgrade: boolean,
): { status: number; message: string } | undefined {
  if (upgrade) return { status: 403, message: 'this MCP resource has a policy: WebSocket upgrades are not allowed' };
  if (method === 'POST') {
    if (!isJsonContentType(req.headers['content-type']))
      return { status: 415, message: 'requests to this MCP resource must be JSON-RPC sent as application/json' };
    // The proxy decides on the bytes as they came; a backend may decode them first (body-parser inflates).
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity')
      return { status: 415, message: 'requests to this MCP resource must not be compressed (Content-Encoding)' };
    return undefined;
  }
  const bodied = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) !== 0;
  if (!bodied && (method === 'GET' || method === 'HEAD' || method === 'DELETE')) return undefined;
  return {
    status: 405,
    message: 'this MCP resource has a policy: only POST (JSON-RPC), GET, HEAD and DELETE without a body are allowed',
  };
}

/**
 * Host, canonical path, method, client address and scheme of a request, or why it cannot be served.
 * The path is made canonical here, before any decision, and `req.url` is rewritten to it (query
 * untouched): routes, the public surface, the auth policy, the engines and the request log all see
 * the one path that is forwarded (docs/security.md, "Canonical path").
 */
function describeRequest(req: IncomingMessage): PublicRequestInfo | { status: number; message: string } {
  const host = hostOf(req.headers.host);
  if (!host) return { status: 400, message: 'missing or malformed Host header' };
  const rawUrl = req.url ?? '/';
  if (!rawUrl.startsWith('/')) return { status: 400, message: 'request target must be a path (origin form)' };
  const query = rawUrl.indexOf('?');
  const rawPath = query < 0 ? rawUrl : rawUrl.slice(0, query);
  const path = canonicalPath(rawPath);
  if (isRefusal(path)) return { status: 400, message: path.refused };
  if (path !== rawPath) req.url = query < 0 ? path : path + rawUrl.slice(query);
  const exchange = exchangeOf(req);
  return {
    host,
    path,
    method: req.method ?? 'GET',
    clientIp: exchange?.clientIp ?? clientAddressOf(req.socket),
    secure: exchange?.secure ?? (req.socket as TLSSocket).encrypted === true,
  };
}

/**
 * The request path of the public listeners: public surface (ACME, OAuth, admin hostname) →
 * proxy target by Host → route → auth policy → forwarding engine. Reads only memory.
 */
@Injectable()
export class RequestDispatcher {
  private readonly logger = new Logger(RequestDispatcher.name);
  private readonly drain: DrainLimits;
  private readonly mcp: McpInspection;
  private missingPolicyReported = false;

  constructor(
    private readonly config: AppConfig,
    private readonly surface: PublicSurfaceRegistry,
    private readonly table: RoutingTableStore,
    @Inject(FORWARDING_ENGINE) private readonly engine: ForwardingEngine,
    private readonly recorder: ExchangeRecorder,
    private readonly limits: RequestLimits,
    @Optional() @Inject(TARGET_AUTH_POLICY) private readonly authPolicy?: TargetAuthPolicy,
  ) {
    this.drain = config.earlyResponseDrain;
    this.mcp = new McpInspection(config.mcpInspectMaxBytes);
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const exchange = this.recorder.begin(req);
    res.once('close', () => {
      exchange.onResponseClose?.();
      this.recorder.finish(
        req,
        exchange,
        res.headersSent ? res.statusCode : 0,
        Number(res.getHeader('content-length')) || 0,
      );
    });
    const framing = framingProblem(req);
    if (framing) return sendError(req, res, 400, framing, { connection: 'close' }); // the rest of the bytes cannot be trusted
    const info = describeRequest(req);
    if ('status' in info) return this.answerEarly(req, res, info.status, info.message);
    const handler = this.surface.find(info);
    if (handler) {
      // The Nest app reads the same id (its genReqId accepts X-Request-Id), so both logs agree.
      req.headers['x-request-id'] = exchange.requestId;
      if (expectsContinue(req)) res.writeContinue(); // the public surface reads its own bodies
      return this.runPublicHandler(handler.name, req, res, () => handler.handle(req, res, info));
    }
    const apply = (prepared: Prepared): void => {
      switch (prepared.kind) {
        case 'respond':
          return this.answerEarly(req, res, prepared.status, prepared.message, prepared.headers);
        case 'policy':
          closeAfterEarlyAnswer(req, res, this.drain);
          res.writeHead(prepared.status, {
            'content-length': Buffer.byteLength(prepared.body),
            'x-request-id': exchange.requestId,
            ...prepared.headers,
          });
          return void res.end(prepared.body);
        case 'forward':
          if (prepared.charges)
            return this.afterLimits(prepared.charges, res, fail, (refused) => {
              if (refused) return this.answerLimited(req, res, this.limits.refusal(refused, exchange), exchange);
              if (expectsContinue(req)) res.writeContinue();
              this.engine.forward(req, res, prepared.upstream);
            });
          // Expect: 100-continue is answered only now, after the auth decision (the engines drop the header).
          if (expectsContinue(req)) res.writeContinue();
          return this.engine.forward(req, res, prepared.upstream);
        case 'inspect':
          return this.inspectThenForward(req, res, prepared, exchange);
      }
    };
    const fail = (error: Error): void => {
      this.logger.error(`dispatch failed: ${error.message}`);
      this.answerEarly(req, res, 500, 'the proxy failed to handle this request');
    };
    settle(() => this.route(req, info, false, exchange), apply, fail);
  }

  /**
   * Runs `then` with the limiter's refusal (or undefined: admitted) once it answered; a request the
   * client abandoned meanwhile is not forwarded.
   */
  private afterLimits(
    charges: readonly RateLimitCharge[],
    res: ServerResponse | Duplex,
    fail: (error: Error) => void,
    then: (refused: (RateLimitOutcome & { allowed: false }) | undefined) => void,
  ): void {
    this.limits.admit(charges).then((outcome) => {
      if (res.destroyed) return;
      try {
        then(outcome.allowed ? undefined : outcome);
      } catch (error) {
        fail(error as Error);
      }
    }, fail);
  }

  /** A rate-limited request's 429 (before its body was read: Connection: close and a bounded drain). */
  private answerLimited(req: IncomingMessage, res: ServerResponse, answer: RateLimitAnswer, exchange: Exchange): void {
    if (res.headersSent) return void res.destroy();
    closeAfterEarlyAnswer(req, res, this.drain);
    res.writeHead(answer.status, {
      ...answer.headers,
      'content-length': Buffer.byteLength(answer.body),
      'x-request-id': exchange.requestId,
    });
    res.end(answer.body);
  }

  /** The proxy's own answer before the body was read: Connection: close, then a bounded drain (lingering close). */
  private answerEarly(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    message: string,
    headers?: Record<string, string>,
  ): void {
    closeAfterEarlyAnswer(req, res, this.drain);
    sendError(req, res, status, message, headers);
  }

  /**
   * MCP request inspection, after the auth decision: a Content-Length over the bound is refused
   * from the head; otherwise `100 Continue` (when asked for), the body is read and checked, and
   * exactly those bytes are forwarded with the proxy's Content-Length.
   */
  private inspectThenForward(
    req: IncomingMessage,
    res: ServerResponse,
    { upstream, governance, charges }: Prepared & { kind: 'inspect' },
    exchange: Exchange,
  ): void {
    const early = this.mcp.refuseEarly(req);
    if (early) return this.refuseMcp(req, res, early, exchange);
    if (expectsContinue(req)) res.writeContinue();
    this.mcp.inspect(req, exchange, (result) => {
      try {
        if (result.kind === 'gone') return;
        if (result.kind === 'refuse') return this.refuseMcp(req, res, result.refusal, exchange);
        let mcpLists: McpListFilters | undefined;
        let allCharges = charges;
        const audit = exchange.mcp;
        if (!governance) {
          if (audit) audit.decision = 'allowed'; // no policy: everything is, as before policies
        } else {
          const ungovernable = ungovernableMessages(governance, result.messages);
          if (ungovernable) return this.refuseMcp(req, res, invalidRequest(ungovernable), exchange);
          const verdict = governance.decide(result.messages);
          if (audit) {
            audit.decision = verdict.decision;
            audit.rule = verdict.rule;
            audit.metricNames = governance.metricNames;
          }
          // A denied request never reaches the backend.
          if (verdict.decision !== 'allowed') return this.refuseMcp(req, res, verdict.response, exchange);
          mcpLists = listFiltersFor(governance, result.messages);
          allCharges = this.limits.withRules(charges, exchange, governance.resourceUri, verdict.limits);
        }
        const headers = upstream.headers;
        headers['content-length'] = String(result.body.length);
        delete headers.expect; // answered here already; the body is complete
        exchange.bytesIn = result.body.length;
        const forward = () => this.engine.forward(req, res, { ...upstream, body: result.body, mcpLists });
        if (!allCharges) return forward();
        // Every limit of the request (global, target, the rules that allowed its calls) in one decision.
        const fail = (error: Error) => {
          this.logger.error(`dispatch failed: ${error.message}`);
          this.answerEarly(req, res, 500, 'the proxy failed to handle this request');
        };
        this.afterLimits(allCharges, res, fail, (refused) => {
          if (!refused) return forward();
          this.refuseMcp(req, res, this.limits.mcpRefusal(refused, exchange, result.messages, result.batch), exchange);
        });
      } catch (error) {
        this.logger.error(`dispatch failed: ${(error as Error).message}`);
        this.answerEarly(req, res, 500, 'the proxy failed to handle this request');
      }
    });
  }

  /** The JSON-RPC error answer of an inspected request (the unread rest of a too-large body is drained). */
  private refuseMcp(
    req: IncomingMessage,
    res: ServerResponse,
    refusal: McpRefusal | McpDenial,
    exchange: Exchange,
  ): void {
    if (res.headersSent) return void res.destroy();
    (exchange.mcp ??= {}).errorCode = refusal.code;
    closeAfterEarlyAnswer(req, res, this.drain);
    res.writeHead(refusal.status, {
      ...('headers' in refusal ? refusal.headers : undefined),
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(refusal.body),
      'cache-control': 'no-store',
      'x-request-id': exchange.requestId,
    });
    res.end(refusal.body);
  }

  /** WebSocket (and other) upgrades: proxy targets and routes only; the public surface has none. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const exchange = this.recorder.begin(req);
    let webSocketOpen = false;
    exchange.onUpgraded = () => {
      webSocketOpen = true;
      this.recorder.webSocketOpened(exchange);
    };
    socket.once('close', () => {
      if (webSocketOpen) this.recorder.webSocketClosed(exchange);
      this.recorder.finish(req, exchange, exchange.socketStatus ?? 0, 0);
    });
    const framing = framingProblem(req);
    if (framing) {
      exchange.socketStatus = 400;
      return sendSocketError(socket, 400, framing);
    }
    const info = describeRequest(req);
    if ('status' in info) {
      exchange.socketStatus = info.status;
      return sendSocketError(socket, info.status, info.message);
    }
    // A connection opened with a token ends when the token does: the grant or membership it stood for may be gone.
    const upgradeUntilExpiry = (prepared: Prepared & { kind: 'forward' | 'inspect' }): void => {
      if (prepared.kind === 'forward') closeAtExpiry(socket, prepared.expiresAt);
      this.engine.upgrade(req, socket, head, prepared.upstream);
    };
    const apply = (prepared: Prepared): void => {
      switch (prepared.kind) {
        case 'respond':
          exchange.socketStatus = prepared.status;
          return sendSocketError(socket, prepared.status, prepared.message, prepared.headers);
        case 'policy':
          exchange.socketStatus = prepared.status;
          return sendSocketError(socket, prepared.status, prepared.body, prepared.headers);
        case 'forward':
        case 'inspect': // never for an upgrade (a GET); listed for completeness
          if (prepared.charges)
            return this.afterLimits(prepared.charges, socket, fail, (refused) => {
              if (!refused) return upgradeUntilExpiry(prepared);
              const answer = this.limits.refusal(refused, exchange);
              exchange.socketStatus = answer.status;
              // The raw answer writes its own Content-Type and Cache-Control: no-store.
              sendSocketError(socket, answer.status, answer.body, { 'retry-after': answer.headers['retry-after'] });
            });
          return upgradeUntilExpiry(prepared);
      }
    };
    const fail = (error: Error): void => {
      this.logger.error(`upgrade dispatch failed: ${error.message}`);
      exchange.socketStatus = 500;
      sendSocketError(socket, 500, 'the proxy failed to handle this request');
    };
    settle(() => this.route(req, info, true, exchange), apply, fail);
  }

  /**
   * Where the request goes, with the rate limits it counts against (known after the auth decision:
   * they count by its token's user or client). Synchronous unless the auth policy answers with a promise.
   */
  private route(
    req: IncomingMessage,
    info: PublicRequestInfo,
    upgrade: boolean,
    exchange: Exchange,
  ): Prepared | Promise<Prepared> {
    const prepared = this.prepare(req, info, upgrade, exchange);
    return prepared instanceof Promise
      ? prepared.then((p) => this.withCharges(p, exchange))
      : this.withCharges(prepared, exchange);
  }

  private withCharges(prepared: Prepared, exchange: Exchange): Prepared {
    if (prepared.kind !== 'forward' && prepared.kind !== 'inspect') return prepared;
    const host = exchange.targetHost;
    prepared.charges = this.limits.forRequest(host, this.table.current.rateLimitsOf(host), exchange);
    return prepared;
  }

  /** Synchronous unless the auth policy answers with a promise (no promise per request otherwise). */
  private prepare(
    req: IncomingMessage,
    info: PublicRequestInfo,
    upgrade: boolean,
    exchange: Exchange,
  ): Prepared | Promise<Prepared> {
    const { host, secure } = info;
    const rawUrl = req.url ?? '/';
    const table = this.table.current;
    const target = table.target(host);
    if (target) exchange.targetHost = target.hostname;
    if (!target || !target.enabled)
      return { kind: 'respond', status: 404, message: `no proxy target is configured for ${host}` };
    if (!secure && target.redirect_http_to_https) {
      return {
        kind: 'respond',
        status: 301,
        message: 'this site is served over https',
        headers: { location: `${this.config.publicOrigin('https', host)}${rawUrl}` },
      };
    }
    if (secure ? !target.enable_https : !target.enable_http)
      return { kind: 'respond', status: 404, message: `${host} is not served over ${secure ? 'https' : 'http'}` };

    const resolved = table.resolve(host, info.method, info.path);
    if (!resolved) return { kind: 'respond', status: 404, message: `no proxy target is configured for ${host}` };
    // Stored limits that cannot be applied: refused, never served unlimited (the store logged why).
    if (table.rateLimitProblem(target.hostname) !== undefined)
      return {
        kind: 'respond',
        status: 503,
        message: `${host} has rate limits that cannot be applied: every request is refused until they are set again`,
      };
    if (!resolved.upstream)
      return { kind: 'respond', status: 502, message: resolved.problem ?? 'no backend for this request' };

    if (!this.authPolicy) {
      if (resolved.target.auth == null)
        return { kind: 'forward', upstream: this.upstream(req, resolved, info, {}, upgrade, exchange) };
      // A target with auth settings and nothing to enforce them: refused, never forwarded unauthenticated.
      this.reportMissingPolicy();
      return { kind: 'respond', status: 503, message: `${host} needs authentication, which this server cannot check` };
    }
    const decided = (d: AuthDecision): Prepared => {
      if (d.identity) exchange.identity = d.identity;
      if (d.action === 'respond' && d.decision) exchange.authDecision = d.decision;
      if (d.action === 'respond')
        return { kind: 'policy', status: d.status, headers: d.headers ?? {}, body: d.body ?? '' };
      const upstream = this.upstream(
        req,
        resolved,
        info,
        { authHeaders: d.setHeaders, removeHeaders: d.removeHeaders, responseHeaders: d.responseHeaders },
        upgrade,
        exchange,
      );
      // Under an MCP policy, a body the proxy does not read could carry any call: refused, not forwarded.
      const ungoverned = d.mcp ? ungovernedRequest(req, info.method, upgrade) : undefined;
      if (ungoverned) {
        // A WebSocket under a policy: no scope would let its messages be read and decided.
        if (ungoverned.status === 403) exchange.authDecision = 'denied-identity';
        return { kind: 'respond', ...ungoverned };
      }
      // A GET stream under a policy carries answers the proxy did not see the requests of: its lists are filtered too.
      if (d.mcp && info.method === 'GET' && !upgrade) upstream.mcpLists = streamListFilters(d.mcp);
      if (upgrade) return { kind: 'forward', upstream, expiresAt: d.expiresAt };
      if ((d.inspectMcp !== true && !d.mcp) || info.method !== 'POST') return { kind: 'forward', upstream };
      if (isJsonContentType(req.headers['content-type'])) return { kind: 'inspect', upstream, governance: d.mcp };
      return { kind: 'forward', upstream };
    };
    if (resolved.route?.bypass_auth)
      return this.authPolicy.bypass
        ? decided(this.authPolicy.bypass(req, info))
        : { kind: 'forward', upstream: this.upstream(req, resolved, info, {}, upgrade, exchange) };
    const decision = this.authPolicy.decide(req, resolved, info);
    return decision instanceof Promise ? decision.then(decided) : decided(decision);
  }

  private reportMissingPolicy(): void {
    if (this.missingPolicyReported) return;
    this.missingPolicyReported = true;
    this.logger.error(
      'no auth policy is provided (TARGET_AUTH_POLICY): requests to targets with auth settings are refused with 503',
    );
  }

  private upstream(
    req: IncomingMessage,
    resolved: ResolvedTarget,
    info: PublicRequestInfo,
    auth: {
      authHeaders?: Record<string, string>;
      removeHeaders?: readonly string[];
      responseHeaders?: Record<string, string>;
    },
    upgrade: boolean,
    exchange: Exchange,
  ): UpstreamRequest {
    const url = resolved.upstream as URL;
    const { target } = resolved;
    const upgradeHeader = upgrade ? String(req.headers.upgrade ?? '') : undefined;
    exchange.upstream = url.href;
    const headers = upstreamRequestHeaders(req.headers, {
      clientIp: info.clientIp,
      forwardedFor: exchange.forwardedFor,
      proto: info.secure ? 'https' : 'http',
      originalHost: req.headers.host ?? info.host,
      hostHeader: target.preserve_host_header ? (req.headers.host ?? info.host) : url.host,
      customHeaders: target.custom_headers,
      authHeaders: auth.authHeaders,
      removeHeaders: auth.removeHeaders,
      upgrade: upgradeHeader || undefined,
    });
    headers['x-request-id'] = exchange.requestId;
    return {
      url,
      exchange,
      connectTimeoutMs: target.connect_timeout * 1000,
      readTimeoutMs: target.read_timeout * 1000,
      responseHeaders:
        auth.responseHeaders && hasAny(target.custom_response_headers)
          ? { ...auth.responseHeaders, ...target.custom_response_headers }
          : (auth.responseHeaders ?? target.custom_response_headers),
      headers,
    };
  }

  private runPublicHandler(
    name: string,
    req: IncomingMessage,
    res: ServerResponse,
    run: () => void | Promise<void>,
  ): void {
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

/** The client waits for `100 Continue` before sending its body (only the checkContinue path can see this). */
function expectsContinue(req: IncomingMessage): boolean {
  const expect = req.headers.expect;
  return expect !== undefined && expect.toLowerCase() === '100-continue';
}

function hasAny(headers: Record<string, string> | undefined): boolean {
  for (const _ in headers) return true;
  return false;
}
