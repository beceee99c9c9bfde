import type { LookupFunction } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';

/**
 * A `fetch` that behaves like a client on the internet whose DNS points the given hostnames at the
 * proxy: names in `hosts` resolve to 127.0.0.1 (the URL keeps its port: the test's listener port),
 * other names to nothing; TLS trusts ONLY `ca` (e.g. Pebble's root), so a self-signed fallback or a
 * certificate for another name fails the request exactly as it would for a real MCP client.
 * http:// URLs to 127.0.0.1 (the GitHub stand-in) go out unchanged.
 */
export function httpsLoopbackFetch(ca: string, hosts: string[]): typeof fetch {
  const known = new Set(hosts.map((h) => h.toLowerCase()));
  const lookup: LookupFunction = (hostname, options, callback) => {
    const name = hostname.toLowerCase();
    const address = name === 'localhost' || name === '127.0.0.1' || known.has(name) ? '127.0.0.1' : undefined;
    if (!address) {
      callback(
        Object.assign(new Error(`httpsLoopbackFetch: ${hostname} is not a test hostname`), { code: 'ENOTFOUND' }),
        '',
        4,
      );
      return;
    }
    if (options.all)
      (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [
        { address, family: 4 },
      ]);
    else callback(null, address, 4);
  };
  const dispatcher = new Agent({ connect: { ca, lookup } });
  return ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher,
    })) as unknown as typeof fetch;
}
