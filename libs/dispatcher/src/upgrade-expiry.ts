import type { Duplex } from 'node:stream';

/** The longest delay a Node timer takes (about 24.8 days); a later expiry closes the connection then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Closes an upgraded connection (WebSocket) when the credential that opened it expires: `expiresAt`
 * in epoch seconds, the access token's `exp` (capped at the membership TTL when it carries
 * organisations or teams). Without it a client kept a socket, and what it was allowed to do, for as
 * long as it held it open. No expiry (an open target, passthrough's anonymous callers): nothing to do.
 */
export function closeAtExpiry(socket: Duplex, expiresAt: number | undefined): void {
  if (expiresAt === undefined || socket.destroyed) return;
  const delay = Math.max(0, Math.min(expiresAt * 1000 - Date.now(), MAX_TIMER_MS));
  const timer = setTimeout(() => socket.destroy(), delay);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
