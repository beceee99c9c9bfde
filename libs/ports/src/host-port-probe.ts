import { createServer } from 'node:net';

/** True when a TCP listener can bind `address:port` on this host right now. */
export function isHostPortFree(port: number, address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: address, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
