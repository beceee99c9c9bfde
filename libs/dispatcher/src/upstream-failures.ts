import type * as http from 'node:http';
import type { Duplex } from 'node:stream';
import { sendError, sendSocketError } from './error-responses';
import type { Exchange, UpstreamErrorKind } from './exchange';

/**
 * What every forwarding engine shares once a backend misbehaves: the deadlines' meaning (504), the
 * one replay rule, and the mapping of any engine's error (node:http, our HTTP/1.1 client, undici)
 * to the 502/504 answer, the request-log `error` and the metrics' `kind`. Each engine only runs its
 * own clock (a socket timer, the pool's sweep, undici's timers) against `connectTimeoutMs` and
 * `readTimeoutMs` of the UpstreamRequest.
 */

type CodedError = Error & { code?: string };

/** A connect or read deadline passed (504). */
export class UpstreamTimeout extends Error {
  constructor(readonly phase: 'connect' | 'read') {
    super(
      phase === 'connect' ? 'the backend did not accept the connection in time' : 'the backend did not answer in time',
    );
  }
}

export interface UpstreamFailure {
  status: number;
  message: string;
  kind: UpstreamErrorKind;
}

const REFUSED = 'the backend refused the connection';
const NOT_ACCEPTED_IN_TIME = new UpstreamTimeout('connect').message;
const NOT_ANSWERED_IN_TIME = new UpstreamTimeout('read').message;
const BROKEN = 'the backend closed the connection or sent an invalid response';

/** Why OpenSSL refused the backend's certificate, in its own words (Node's `error.message` for the code). */
const CERTIFICATE_PROBLEMS: Readonly<Record<string, string>> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in certificate chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unable to verify the first certificate',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unable to get local issuer certificate',
  CERT_HAS_EXPIRED: 'certificate has expired',
  ERR_TLS_CERT_ALTNAME_INVALID: "the certificate's names do not include the backend's host",
};

/** The client's answer for a failed backend exchange (the same for every engine). */
export function describeUpstreamError(error: CodedError): UpstreamFailure {
  if (error instanceof UpstreamTimeout) return { status: 504, message: error.message, kind: 'timeout' };
  const code = error.code;
  if (code !== undefined && code in CERTIFICATE_PROBLEMS)
    return { status: 502, message: `backend certificate not trusted: ${CERTIFICATE_PROBLEMS[code]}`, kind: 'tls' };
  switch (code) {
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return { status: 502, message: REFUSED, kind: 'connect' };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return { status: 502, message: 'the backend host name does not resolve', kind: 'dns' };
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return { status: 504, message: NOT_ACCEPTED_IN_TIME, kind: 'timeout' };
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return { status: 504, message: NOT_ANSWERED_IN_TIME, kind: 'timeout' };
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return { status: 502, message: BROKEN, kind: 'reset' };
    case undefined:
    default:
      // Parser errors (HPE_*, undici's UND_ERR_INFO...) and anything unforeseen.
      return { status: 502, message: BROKEN, kind: 'protocol' };
  }
}

/** Notes a failure on the exchange (request log `error`, `proxy_upstream_errors_total`). */
function report(exchange: Exchange | undefined, failure: UpstreamFailure, error: CodedError): void {
  if (!exchange) return;
  exchange.errorKind = failure.kind;
  exchange.error = `upstream ${failure.kind}${error.code ? ` ${error.code}` : ''}: ${failure.message}`;
}

/** Answers the client for a failed request (502/504; destroys the response when its headers were already sent). */
export function failForward(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  exchange: Exchange | undefined,
  error: CodedError,
): void {
  const failure = describeUpstreamError(error);
  report(exchange, failure, error);
  sendError(req, res, failure.status, failure.message);
}

/** The same for an upgrade, on the raw socket. */
export function failUpgrade(socket: Duplex, exchange: Exchange | undefined, error: CodedError): void {
  const failure = describeUpstreamError(error);
  report(exchange, failure, error);
  if (exchange) exchange.socketStatus = failure.status;
  sendSocketError(socket, failure.status, failure.message);
}

/** No request body announced (so the request can be replayed). */
export function hasNoBody(req: http.IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
}

/** How a kept-alive connection that the backend closed while idle shows up, in each engine. */
const STALE_CONNECTION = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

export interface ReplayState {
  /** Already replayed once. */
  replayed: boolean;
  /** The backend began answering. */
  answered: boolean;
  /** `hasNoBody(req)`: nothing was consumed from the client that could not be sent again. */
  bodiless: boolean;
  /** The request's method: only idempotent ones are replayed (RFC 9110 §9.2.2). */
  method: string | undefined;
  /** The connection had carried an exchange before (true where the engine cannot tell). */
  reusedConnection: boolean;
}

/** RFC 9110 §9.2.2: a proxy must not retry a request whose method is not idempotent. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/**
 * A body-less request with an idempotent method that failed on a kept-alive connection before any
 * answer: the backend had closed the connection while idle. It is replayed once on a new
 * connection; requests with a body or another method never (the client gets the 502).
 */
export function mayReplay(state: ReplayState, error: CodedError): boolean {
  return (
    !state.replayed &&
    !state.answered &&
    state.bodiless &&
    IDEMPOTENT.has(state.method ?? '') &&
    state.reusedConnection &&
    STALE_CONNECTION.has(error.code ?? '')
  );
}
