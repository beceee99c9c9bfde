import type { IncomingMessage } from 'node:http';

/**
 * Why a request's framing (or Host) is ambiguous, or null. Node's parser (llhttp, strict) already
 * refuses Content-Length with Transfer-Encoding, duplicate or non-numeric Content-Length, obs-fold,
 * bare LF, whitespace before a colon, bad chunk sizes and most unknown codings; these are what it
 * lets through. The proxy forwards only what it can frame itself: one Content-Length, or chunked.
 */
export function framingProblem(req: IncomingMessage): string | null {
  const codings = req.headers['transfer-encoding'];
  if (codings !== undefined) {
    // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message is faulty framing.
    if (req.httpVersionMajor !== 1 || req.httpVersionMinor !== 1)
      return 'Transfer-Encoding is only allowed in HTTP/1.1 requests';
    // Node joins several headers with ", ": "gzip, chunked" and ",chunked" end up here too.
    if (codings.trim().toLowerCase() !== 'chunked')
      return 'Transfer-Encoding must be exactly "chunked" (no other codings, no second header)';
  }
  // Node keeps the first of two Host headers; a backend may take the other one (RFC 9112 §3.2: 400).
  const raw = req.rawHeaders;
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.length === 4 && (name === 'Host' || name.toLowerCase() === 'host') && ++hosts > 1)
      return 'more than one Host header';
  }
  return null;
}
