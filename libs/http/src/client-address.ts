import type { IncomingMessage } from 'node:http';
import { isIPv4, type Socket } from 'node:net';

/**
 * The client address the product trusts, kept on the connection: a PROXY header from a trusted peer
 * names it (the public listeners tag the socket), else it is the TCP peer. A tag on the socket,
 * not a header, so no client can write it. Symbol.for: one tag whichever copy of this module reads it.
 */
const PROXIED_ADDRESS = Symbol.for('mcp-proxy.proxied-client-address');
type Tagged = Socket & { [PROXIED_ADDRESS]?: string };

/** Strips the IPv4-mapped IPv6 prefix (`::ffff:1.2.3.4` → `1.2.3.4`), as addresses are compared and shown. */
export function plainAddress(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

/** Records the client address a trusted PROXY header announced for this connection. */
export function tagClientAddress(socket: Socket, address: string): void {
  (socket as Tagged)[PROXIED_ADDRESS] = address;
}

/** The address a PROXY header announced for this connection, if any. */
export function proxiedAddressOf(socket: Socket): string | undefined {
  return (socket as Tagged)[PROXIED_ADDRESS];
}

/** The real client address: from the PROXY header when there was one, else the TCP peer. */
export function clientAddressOf(socket: Socket | null | undefined): string {
  if (!socket) return '';
  return (socket as Tagged)[PROXIED_ADDRESS] ?? plainAddress(socket.remoteAddress);
}

/** Per request: the client a trusted HTTP balancer named in its forwarded headers (FORWARDED_TRUSTED_CIDRS). */
const FORWARDED_ADDRESS = Symbol.for('mcp-proxy.forwarded-client-address');
type TaggedRequest = IncomingMessage & { [FORWARDED_ADDRESS]?: string };

/** Records the client address a trusted balancer's forwarded headers named for this request (the dispatcher does). */
export function tagRequestClientAddress(req: IncomingMessage, address: string): void {
  (req as TaggedRequest)[FORWARDED_ADDRESS] = address;
}

/**
 * The trusted client address of a request (use this, not Fastify's `request.ip`, for rate limits and
 * logs): a trusted balancer's forwarded client, else the connection's (PROXY header or TCP peer).
 */
export function clientAddressOfRequest(req: IncomingMessage): string {
  return (req as TaggedRequest)[FORWARDED_ADDRESS] ?? clientAddressOf(req.socket);
}
