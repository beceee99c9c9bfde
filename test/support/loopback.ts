import * as http from 'node:http';
import * as https from 'node:https';
import { isIP, type AddressInfo, type Socket } from 'node:net';

/** A real HTTP (or HTTPS: `startTls`) backend on a free loopback port, for the proxy to forward to. */
export class Backend {
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly server: http.Server,
    private readonly scheme: 'http' | 'https' = 'http',
  ) {
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  static async start(handler: http.RequestListener, host = '127.0.0.1'): Promise<Backend> {
    const server = http.createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    return new Backend(server);
  }

  /** An HTTPS backend presenting `tls.cert` (see test/support/test-ca.ts). */
  static async startTls(handler: http.RequestListener, tls: { key: string; cert: string }): Promise<Backend> {
    const server = https.createServer(tls, handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new Backend(server, 'https');
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `${this.scheme}://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A backend that answers every request with what it received: method, url and headers, as JSON. */
export function echoBackend(name = 'echo'): Promise<Backend> {
  return Backend.start((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          backend: name,
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
  });
}

export interface Echo {
  backend: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface PublicResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json<T = Echo>(): T;
}

export interface PublicRequestOptions {
  port: number;
  host: string;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  tls?: boolean;
  localAddress?: string;
}

/** The SNI name for a Host header value: none for IP literals (RFC 6066). */
function sniName(host: string): string | undefined {
  const name = host.replace(/:\d+$/, '');
  return isIP(name.replace(/^\[|\]$/g, '')) === 0 ? name : undefined;
}

/** One request to a public listener with an arbitrary Host header (fetch does not allow setting Host). */
export function publicRequest(options: PublicRequestOptions): Promise<PublicResponse> {
  return new Promise((resolve, reject) => {
    const transport = options.tls ? https : http;
    const req = transport.request(
      {
        host: '127.0.0.1',
        port: options.port,
        path: options.path ?? '/',
        method: options.method ?? 'GET',
        headers: { host: options.host, ...options.headers },
        agent: false,
        servername: options.tls ? sniName(options.host) : undefined,
        rejectUnauthorized: false,
        localAddress: options.localAddress,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}
