import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { requestIdOf } from './exchange';

function wantsJson(req: IncomingMessage): boolean {
  return /\bapplication\/([\w.+-]+\+)?json\b/i.test(req.headers.accept ?? '');
}

/**
 * The dispatcher's own error answer: a small body, JSON (`{statusCode, error, message, requestId}`,
 * the admin API's shape) when the client accepts JSON, plain text otherwise. Never a stack trace.
 */
export function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const requestId = requestIdOf(req);
  const error = STATUS_CODES[status] ?? 'Error';
  const json = wantsJson(req);
  const body = json
    ? JSON.stringify({ statusCode: status, error, message, requestId })
    : `${status} ${error}: ${message}\n`;
  res.writeHead(status, {
    ...headers,
    'content-type': json ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-request-id': requestId,
  });
  res.end(body);
}

/** The same, written on a raw socket (WebSocket upgrades that cannot be forwarded). */
export function sendSocketError(
  socket: Duplex,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `${status} ${STATUS_CODES[status] ?? 'Error'}: ${message}\n`;
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n${extra}\r\n${body}`,
  );
}

/**
 * Node's parser refused the request (malformed or ambiguous framing, bad header syntax, a bad chunk):
 * a 400 (431 for an oversized head) that names the parser's reason, then the connection is closed.
 * When an answer has already begun on this connection, nothing can be added: it is cut instead.
 */
export function answerUnparsable(error: Error & { code?: string }, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage; // Node's own clientError check
  if (!socket.writable || inFlight?.headersSent) return void socket.destroy();
  const code = error.code ?? 'HPE_INVALID';
  if (code === 'HPE_HEADER_OVERFLOW') return sendSocketError(socket, 431, 'the request head is too large');
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return sendSocketError(socket, 408, 'the request did not arrive in time');
  sendSocketError(
    socket,
    400,
    `the request cannot be parsed (${code}): send one Content-Length or chunked framing, CRLF line ends and header names without spaces`,
  );
}
