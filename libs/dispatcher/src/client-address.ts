import type { Socket } from 'node:net';
import { plainAddress } from './trusted-networks';

const PROXIED_ADDRESS = Symbol('proxiedClientAddress');
type Tagged = Socket & { [PROXIED_ADDRESS]?: string };

/** Records the client address a trusted PROXY header announced for this connection. */
export function tagClientAddress(socket: Socket, address: string): void {
  (socket as Tagged)[PROXIED_ADDRESS] = address;
}

/** The address a PROXY header announced for this connection, if any. */
export function proxiedAddressOf(socket: Socket): string | undefined {
  return (socket as Tagged)[PROXIED_ADDRESS];
}

/** The real client address: from the PROXY header when there was one, else the TCP peer. */
export function clientAddressOf(socket: Socket): string {
  return (socket as Tagged)[PROXIED_ADDRESS] ?? plainAddress(socket.remoteAddress);
}
