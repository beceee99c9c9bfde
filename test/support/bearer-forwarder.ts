import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** Hop-by-hop headers (RFC 9110 §7.6.1): each side of the forwarder has its own connection. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te']);

function endToEnd(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (!HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

/**
 * TEST PLUMBING, not part of the product: a loopback HTTP forwarder for a client the test cannot
 * configure (the MCP conformance runner takes a URL and nothing else: no headers, no resolver).
 * It stands where the client's token and DNS would be: every request gets `Authorization: Bearer
 * <token>`, and the forwarder's own address as Host becomes the proxy's public hostname (any other
 * Host, e.g. a DNS-rebinding probe's, is passed as it came). Bodies and answers are streamed both
 * ways (SSE stays event by event).
 */
export class BearerForwarder {
  private readonly sockets = new Set<Socket>();
  private readonly agent = new http.Agent({ keepAlive: true });

  private constructor(
    private readonly server: http.Server,
    private readonly proxyPort: number,
    private readonly publicHost: string,
    private readonly token: string,
  ) {
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req, res) => this.forward(req, res));
  }

  /** Forwards to the proxy's HTTP listener on 127.0.0.1:`proxyPort` as `publicHost` (host:port). */
  static async start(proxyPort: number, publicHost: string, token: string): Promise<BearerForwarder> {
    const server = http.createServer();
    const forwarder = new BearerForwarder(server, proxyPort, publicHost, token);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return forwarder;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The URL the client is given for `path` (a loopback URL: the forwarder's own). */
  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.agent.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    const headers = endToEnd(req.headers);
    if (req.headers.host === `127.0.0.1:${this.port}`) headers.host = this.publicHost;
    headers.authorization = `Bearer ${this.token}`;
    const upstream = http.request(
      { host: '127.0.0.1', port: this.proxyPort, method: req.method, path: req.url, headers, agent: this.agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
        res.flushHeaders(); // an SSE stream may send its first event much later
        answer.pipe(res);
        answer.on('error', () => res.destroy());
      },
    );
    upstream.on('error', (error) => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(502, { 'content-type': 'text/plain' }).end(`forwarder: ${error.message}`);
    });
    // The client went away (a closed SSE stream): so does the request to the proxy.
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  }
}
