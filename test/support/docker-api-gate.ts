import { createConnection, createServer, Server, Socket } from 'node:net';
import { DOCKER_SOCKET } from './docker-engine';
import { freePort } from './ports';

interface Link {
  client: Socket;
  engine: Socket;
  /** Bytes of a held request (and whatever the client sent after it), forwarded on release(). */
  held: Buffer[] | null;
}

/**
 * The real Docker Engine's API on a loopback TCP port (servers under test use
 * `DOCKER_HOST=tcp://127.0.0.1:<port>`), with a gate: after `hold(pattern)`, a request whose request
 * line matches (e.g. `POST /v1.43/containers/<id>/start`) is held, not forwarded, until `release()`;
 * other requests pass. A test keeps a worker's engine call in flight this way, deterministically,
 * without hooks in the server. When the client dies with a request held, the request is dropped
 * (the engine never sees it), as if the process had died just before sending it.
 */
export class DockerApiGate {
  private pattern: RegExp | null = null;
  private readonly links = new Set<Link>();
  private readonly heldLines: string[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly socketPath: string,
  ) {}

  static async start(socketPath = DOCKER_SOCKET): Promise<DockerApiGate> {
    const port = await freePort();
    const server = createServer();
    const gate = new DockerApiGate(server, port, socketPath);
    server.on('connection', (socket) => gate.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return gate;
  }

  /** DOCKER_HOST for the server under test. */
  get dockerHost(): string {
    return `tcp://127.0.0.1:${this.port}`;
  }

  /** Request lines held so far (since the last hold()). */
  get held(): string[] {
    return [...this.heldLines];
  }

  /** Connections that hold a request now (a killed client's connection stops counting once it is closed). */
  get holding(): number {
    return [...this.links].filter((link) => link.held !== null).length;
  }

  hold(pattern: RegExp): void {
    this.pattern = pattern;
    this.heldLines.length = 0;
  }

  /** Stops holding and forwards what is held on connections whose client is still there. */
  release(): void {
    this.pattern = null;
    for (const link of this.links) {
      if (!link.held) continue;
      const bytes = Buffer.concat(link.held);
      link.held = null;
      if (!link.client.destroyed) link.engine.write(bytes);
    }
  }

  async close(): Promise<void> {
    for (const link of this.links) {
      link.client.destroy();
      link.engine.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    const engine = createConnection({ path: this.socketPath });
    const link: Link = { client, engine, held: null };
    this.links.add(link);
    const close = () => {
      this.links.delete(link);
      link.held = null; // a held request of a dead client never reaches the engine
      client.destroy();
      engine.destroy();
    };
    client.on('error', close);
    engine.on('error', close);
    client.once('close', close);
    engine.once('close', close);
    engine.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('data', (chunk: Buffer) => {
      if (link.held) return void link.held.push(chunk);
      const line = /^[A-Z]+ \S+ HTTP\/1\.[01]/m.exec(chunk.toString('latin1'))?.[0];
      if (this.pattern && line && this.pattern.test(line)) {
        this.heldLines.push(line);
        link.held = [chunk];
        return;
      }
      engine.write(chunk);
    });
  }
}
