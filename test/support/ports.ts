import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Ports above the kernel's ephemeral range (default 32768-60999). A port the kernel hands out for
 * `listen(0)` comes from the ephemeral range, where every outgoing connection of every parallel
 * suite also takes its local port: between our probe and the server's bind it was sometimes taken
 * (EADDRINUSE). Above the range only other tests' random picks can collide, which is rare.
 */
const HIGH_RANGE = (() => {
  try {
    const [, last] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return last + 1 <= 63535 ? { first: last + 1, last: 65535 } : null;
  } catch {
    return null;
  }
})();

function tryListen(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : null;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * Each jest worker draws from its own quarter of the high range, and never hands out a port twice:
 * two suites running at once (one per worker) can then never pick the same port between probe and
 * bind — the EADDRINUSE seen when both drew from the whole range.
 */
const SLICES = 4;
const handedOut = new Set<number>();
function workerSlice(range: { first: number; last: number }): { first: number; size: number } {
  const size = Math.floor((range.last - range.first + 1) / SLICES);
  const slice = (Math.max(1, Number(process.env.JEST_WORKER_ID) || 1) - 1) % SLICES;
  return { first: range.first + slice * size, size };
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  if (HIGH_RANGE) {
    const { first, size } = workerSlice(HIGH_RANGE);
    for (let i = 0; i < 50; i++) {
      const port = first + Math.floor(Math.random() * size);
      if (handedOut.has(port)) continue;
      if ((await tryListen(port)) !== null) {
        handedOut.add(port);
        return port;
      }
    }
  }
  const port = await tryListen(0);
  if (port === null) throw new Error('no free port on 127.0.0.1');
  return port;
}

/**
 * A free port below the kernel's ephemeral range (20000-29999), for helpers that start many
 * listeners (Redis Cluster, Sentinel): ports from `freePort()` come from the ephemeral range that
 * every other suite running in parallel also draws from, so many of them raise collisions.
 */
export async function freeLowPort(taken: Set<number> = new Set()): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 10000);
    if (taken.has(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) {
      taken.add(port);
      return port;
    }
  }
}
