import { createConnection, createServer, Server, Socket } from 'node:net';
import { AddressInfo } from 'node:net';

/**
 * A loopback TCP forwarder the test controls, standing in for a network path: it forwards each
 * connection to the first target that accepts (a load balancer in front of replicas), and can be
 * paused (bytes are held in both directions, new connections wait) to keep a request in flight.
 */
export class TcpForwarder {
  private paused = false;
  private readonly pairs = new Set<[Socket, Socket]>();
  private readonly waiting: Socket[] = [];

  private constructor(
    private readonly server: Server,
    private readonly targets: () => number[],
  ) {}

  static async start(targets: () => number[]): Promise<TcpForwarder> {
    const server = createServer();
    const forwarder = new TcpForwarder(server, targets);
    server.on('connection', (socket: Socket) => forwarder.accept(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return forwarder;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  pause(): void {
    this.paused = true;
    for (const [a, b] of this.pairs) {
      a.pause();
      b.pause();
    }
  }

  resume(): void {
    this.paused = false;
    for (const [a, b] of this.pairs) {
      a.resume();
      b.resume();
    }
    for (const socket of this.waiting.splice(0)) this.connect(socket, 0);
  }

  async close(): Promise<void> {
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    for (const socket of this.waiting) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    socket.on('error', () => undefined);
    if (this.paused) {
      socket.pause();
      this.waiting.push(socket);
      return;
    }
    this.connect(socket, 0);
  }

  private connect(socket: Socket, index: number): void {
    const targets = this.targets();
    if (index >= targets.length) return void socket.destroy();
    const upstream = createConnection({ host: '127.0.0.1', port: targets[index] });
    let connected = false;
    upstream.on('error', () => {
      if (connected) socket.destroy();
      else this.connect(socket, index + 1); // that target is down: the next one
    });
    upstream.once('connect', () => {
      connected = true;
      const pair: [Socket, Socket] = [socket, upstream];
      this.pairs.add(pair);
      socket.pipe(upstream);
      upstream.pipe(socket);
      socket.resume();
      const done = () => {
        this.pairs.delete(pair);
        socket.destroy();
        upstream.destroy();
      };
      socket.once('close', done);
      upstream.once('close', done);
      if (this.paused) {
        socket.pause();
        upstream.pause();
      }
    });
  }
}
