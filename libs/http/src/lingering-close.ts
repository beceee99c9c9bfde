import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** How much of an unread request body is drained after an early answer, and for how long. */
export interface DrainLimits {
  maxBytes: number;
  deadlineMs: number;
}

const LINGERING = Symbol('lingeringClose');
type Lingering = Socket & { destroySoon?: () => void; [LINGERING]?: true };

/** The request announced a body (Content-Length > 0 or Transfer-Encoding). */
function announcesBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * For an answer sent before the request body was read (401/403 from the auth policy, 404, 413...):
 * the answer says `Connection: close`, and the connection then closes the way nginx's lingering
 * close does. Node's server would destroy the socket as soon as the answer is flushed; with body
 * bytes still arriving, the kernel then resets the connection, and a reset can discard the answer
 * before the client reads it (the client sees EPIPE/ECONNRESET; RFC 9112 §9.6). Instead the write
 * side is half-closed after the answer, and the rest of the body is read and dropped until the
 * client closes; after `maxBytes` reading stops, and at `deadlineMs` the socket is destroyed.
 * Call before the answer is written; nothing happens for a request without a body or already read.
 */
export function closeAfterEarlyAnswer(req: IncomingMessage, res: ServerResponse, limits: DrainLimits): void {
  if (req.complete || !announcesBody(req)) return;
  const socket = req.socket as Lingering | null;
  if (!socket || socket.destroyed) return;
  if (!res.headersSent) res.setHeader('connection', 'close');
  if (socket[LINGERING]) return;
  socket[LINGERING] = true;
  const timer = setTimeout(() => socket.destroy(), limits.deadlineMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  let drained = 0;
  const onData = (chunk: Buffer): void => {
    drained += chunk.length;
    if (drained <= limits.maxBytes) return;
    // Cap reached: stop reading (no reset yet, which could discard the answer on the client's side);
    // a client that read the answer closes, any other is cut at the deadline.
    req.removeListener('data', onData);
    req.pause();
  };
  req.on('data', onData);
  req.resume();
  // node:http calls destroySoon() once a `Connection: close` answer is written: half-close instead,
  // and keep reading until the client closes (then the socket closes by itself), the cap or the deadline.
  socket.destroySoon = () => {
    socket.end();
  };
}

/** True once an early answer closed this connection's write side (a request pipelined behind it gets no answer). */
export function isLingering(socket: Socket): boolean {
  return (socket as Lingering)[LINGERING] === true;
}
