import { Injectable, Logger, OnApplicationShutdown, Optional } from '@nestjs/common';
import * as http from 'node:http';
import * as net from 'node:net';
import { TLSSocket } from 'node:tls';
import { AppConfig } from '@app/config';
import { isLingering } from '@app/http/lingering-close';
import { ProxyMetrics } from '@app/metrics';
import { proxiedAddressOf, tagClientAddress } from './client-address';
import { answerUnparsable } from './error-responses';
import { tagListener, type PublicListenerName } from './exchange';
import { parseProxyHeader } from './proxy-protocol';
import { RequestDispatcher } from './request-dispatcher';
import { RoutingTableStore } from './routing-table.store';
import { TlsContexts } from './tls-contexts';
import { plainAddress, TrustedNetworks } from './trusted-networks';

const PROXY_HEADER_TIMEOUT_MS = 5_000;
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

interface ListenerSpec {
  name: PublicListenerName;
  port: number;
  tls: boolean;
  proxyProtocol: boolean;
}

/**
 * The public sockets: HTTP (HTTP_PORT), HTTPS with SNI (HTTPS_PORT) and the PROXY protocol
 * listener (PROXY_PROTOCOL_PORT), each optionally expecting a PROXY v1/v2 header first. Every
 * listener is a plain TCP server; after the PROXY header (if any) and the TLS handshake (if any),
 * the connection is handed to one of two `http.Server`s that never listen themselves.
 */
@Injectable()
export class PublicListeners implements OnApplicationShutdown {
  private readonly logger = new Logger(PublicListeners.name);
  private readonly servers: net.Server[] = [];
  private readonly sockets = new Set<net.Socket>();
  private readonly trusted: TrustedNetworks;
  private plainHttp?: http.Server;
  private secureHttp?: http.Server;
  /** Actual bound ports by listener name (useful when a port was 0). */
  readonly ports: Record<string, number> = {};

  constructor(
    private readonly config: AppConfig,
    private readonly dispatcher: RequestDispatcher,
    private readonly table: RoutingTableStore,
    private readonly tls: TlsContexts,
    @Optional() private readonly metrics?: ProxyMetrics,
  ) {
    this.trusted = new TrustedNetworks(config.proxyProtocolTrustedCidrs);
  }

  /** Loads the routing table, prepares TLS, then opens the listeners. Called by main.ts after the admin app listens. */
  async start(): Promise<void> {
    await Promise.all([this.table.rebuild(), this.tls.init()]);
    this.plainHttp = this.httpServer();
    this.secureHttp = this.httpServer();
    const specs: ListenerSpec[] = [
      { name: 'http', port: this.config.httpPort, tls: false, proxyProtocol: this.config.httpProxyProtocol },
      { name: 'https', port: this.config.httpsPort, tls: true, proxyProtocol: this.config.httpsProxyProtocol },
    ];
    if (this.config.proxyProtocolPort > 0)
      specs.push({ name: 'proxy-protocol', port: this.config.proxyProtocolPort, tls: false, proxyProtocol: true });
    for (const spec of specs) await this.listen(spec);
  }

  async onApplicationShutdown(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.servers.length = 0;
  }

  private httpServer(): http.Server {
    const headersTimeout = this.config.publicHeadersTimeoutMs;
    const server = http.createServer(
      {
        // requestTimeout 0: long uploads and streams are bounded by the backend's read timeout instead.
        requestTimeout: 0,
        headersTimeout,
        keepAliveTimeout: this.config.publicKeepAliveTimeoutMs,
        // How often node checks the header deadline: a slow sender is cut at most this late.
        connectionsCheckingInterval: Math.min(1_000, headersTimeout),
      },
      (req, res) => this.onRequest(req, res),
    );
    // Expect: 100-continue: no automatic 100; the dispatcher sends it once the request is to be forwarded.
    server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => this.onRequest(req, res));
    server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      if (isLingering(socket)) return void socket.destroy();
      this.dispatcher.handleUpgrade(req, socket, head);
    });
    server.on('clientError', (error: Error & { code?: string }, socket: net.Socket) => answerUnparsable(error, socket));
    // node checks headersTimeout from a timer it starts on 'listening'. These servers never listen
    // (the TCP listeners hand them connections), so start the checker here: without it, silent and
    // slowloris connections would never be cut.
    server.emit('listening');
    return server;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    // A request pipelined behind an early answer that closed the connection: never dispatched.
    if (isLingering(req.socket)) return void req.socket.destroy();
    this.dispatcher.handle(req, res);
  }

  private listen(spec: ListenerSpec): Promise<void> {
    const server = net.createServer({ noDelay: true }, (socket) => this.accept(spec, socket));
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', (error: Error) =>
        reject(new Error(`${spec.name} listener on ${this.config.publicBind}:${spec.port}: ${error.message}`)),
      );
      server.listen(spec.port, this.config.publicBind, () => {
        const address = server.address();
        this.ports[spec.name] = typeof address === 'object' && address ? address.port : spec.port;
        this.logger.log(
          `${spec.name} listener on ${this.config.publicBind}:${this.ports[spec.name]}${spec.proxyProtocol ? ' (PROXY protocol)' : ''}`,
        );
        resolve();
      });
    });
  }

  private accept(spec: ListenerSpec, socket: net.Socket): void {
    this.sockets.add(socket);
    this.metrics?.connectionOpened(spec.name);
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.metrics?.connectionClosed(spec.name);
    });
    socket.on('error', () => socket.destroy());
    if (!spec.proxyProtocol) return this.serve(spec, socket);
    if (!this.trusted.has(socket.remoteAddress)) {
      this.logger.warn(
        `${spec.name}: closed a connection from untrusted ${plainAddress(socket.remoteAddress)} (not in PROXY_PROTOCOL_TRUSTED_CIDRS)`,
      );
      socket.destroy();
      return;
    }
    this.readProxyHeader(spec, socket);
  }

  /** Reads the PROXY header, tags the connection with the client address, and serves the rest. */
  private readProxyHeader(spec: ListenerSpec, socket: net.Socket): void {
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(), PROXY_HEADER_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const result = parseProxyHeader(buffered);
      if (result.state === 'incomplete') return;
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.pause();
      if (result.state === 'invalid') {
        this.logger.warn(
          `${spec.name}: closed a connection from ${plainAddress(socket.remoteAddress)}: ${result.reason}`,
        );
        socket.destroy();
        return;
      }
      tagClientAddress(socket, result.source ? result.source.address : plainAddress(socket.remoteAddress));
      const rest = buffered.subarray(result.length);
      if (rest.length > 0) socket.unshift(rest);
      this.serve(spec, socket);
    };
    socket.on('data', onData);
  }

  private serve(spec: ListenerSpec, socket: net.Socket): void {
    if (!spec.tls) {
      tagListener(socket, spec.name);
      (this.plainHttp as http.Server).emit('connection', socket);
      socket.resume();
      return;
    }
    const tlsSocket = new TLSSocket(socket, {
      isServer: true,
      secureContext: this.tls.fallback,
      SNICallback: (servername, callback) => callback(null, this.tls.contextFor(servername)),
      ALPNProtocols: ['http/1.1'],
    });
    const proxied = proxiedAddressOf(socket);
    if (proxied) tagClientAddress(tlsSocket, proxied);
    tagListener(tlsSocket, spec.name);
    const timer = setTimeout(() => tlsSocket.destroy(), TLS_HANDSHAKE_TIMEOUT_MS);
    tlsSocket.on('error', () => tlsSocket.destroy());
    tlsSocket.once('close', () => clearTimeout(timer));
    tlsSocket.once('secure', () => {
      clearTimeout(timer);
      (this.secureHttp as http.Server).emit('connection', tlsSocket);
    });
  }
}
