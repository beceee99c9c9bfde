import { lookup, Resolver } from 'node:dns/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { isIP } from 'node:net';
import { checkServerIdentity } from 'node:tls';

/** All addresses a host name resolves to (v4 and v6). */
export type AddressResolver = (hostname: string) => Promise<string[]>;

/** The system resolver (getaddrinfo: /etc/hosts, nsswitch), every address it answers. */
export const systemResolver: AddressResolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/** Plain DNS against the given servers (`dns.Resolver#setServers` syntax): A and AAAA records. */
export function dnsServersResolver(servers: string[], timeoutMs: number): AddressResolver {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 2 });
  resolver.setServers(servers);
  return async (hostname) => {
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(hostname), resolver.resolve6(hostname)]);
    const addresses = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
    if (addresses.length === 0 && v4.status === 'rejected') throw v4.reason;
    return addresses;
  };
}

export interface PinnedFetchLimits {
  resolve: AddressResolver;
  /** Refuses the host when this says one of its addresses is not allowed (a reason, or null). */
  addressProblem: (hostname: string, address: string) => string | null;
  /** One deadline for resolution, connect, TLS, headers and body. */
  deadlineMs: number;
  maxBytes: number;
}

export interface PinnedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Why a pinned fetch failed: the deadline passed, the body was too large, an address was refused, or the network failed. */
export class PinnedFetchError extends Error {
  constructor(
    readonly kind: 'deadline' | 'size' | 'address' | 'network',
    message: string,
  ) {
    super(message);
  }
}

/**
 * GET of an https URL that cannot be steered to an address nobody checked: the name is resolved
 * once, EVERY address is checked (a name answering one public and one private address is
 * refused), and the connection goes to a checked address, with SNI, Host and certificate
 * verification for the name. No redirects, a size cap, and one deadline over everything: a server
 * that trickles bytes cannot hold the caller longer than `deadlineMs`.
 */
export async function pinnedGet(url: URL, limits: PinnedFetchLimits): Promise<PinnedResponse> {
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  let timer: NodeJS.Timeout | undefined;
  let abort: ((error: Error) => void) | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new PinnedFetchError('deadline', `did not arrive within ${limits.deadlineMs} ms`);
      abort?.(error);
      reject(error);
    }, limits.deadlineMs);
  });
  try {
    const addresses = isIP(hostname)
      ? [hostname]
      : await Promise.race([resolveAll(hostname, limits.resolve), deadline]);
    for (const address of addresses) {
      const problem = limits.addressProblem(hostname, address);
      if (problem) throw new PinnedFetchError('address', problem);
    }
    return await Promise.race([
      get(url, hostname, addresses[0], limits.maxBytes, (cancel) => (abort = cancel)),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function resolveAll(hostname: string, resolve: AddressResolver): Promise<string[]> {
  let addresses: string[];
  try {
    addresses = [...new Set(await resolve(hostname))];
  } catch (error) {
    throw new PinnedFetchError(
      'network',
      `${hostname} does not resolve (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  if (addresses.length === 0) throw new PinnedFetchError('network', `${hostname} has no address`);
  return addresses;
}

function get(
  url: URL,
  hostname: string,
  address: string,
  maxBytes: number,
  onCancel: (cancel: (error: Error) => void) => void,
): Promise<PinnedResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: address,
        port: url.port || 443,
        path: url.pathname + url.search,
        method: 'GET',
        headers: { host: url.host, accept: 'application/json' },
        // SNI only for names (an IP literal has none); the certificate must be for what the URL says.
        servername: isIP(hostname) ? undefined : hostname,
        checkServerIdentity: (_host, cert) => checkServerIdentity(hostname, cert),
        agent: false,
      },
      (res) => {
        // Only a 200 answer's body is of interest: anything else is answered at once.
        if (res.statusCode !== 200) {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.alloc(0) });
          req.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= maxBytes) return void chunks.push(chunk);
          reject(new PinnedFetchError('size', `is larger than ${maxBytes} bytes`));
          req.destroy();
        });
        res.on('end', () => resolve({ status: 200, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', (error) => reject(new PinnedFetchError('network', `failed: ${error.message}`)));
      },
    );
    onCancel((error) => req.destroy(error));
    req.on('error', (error) =>
      reject(error instanceof PinnedFetchError ? error : new PinnedFetchError('network', `failed: ${error.message}`)),
    );
    req.end();
  });
}
