import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

/** A raw TCP connection to a loopback port that records what it receives and when it closes. */
export class RawConnection {
  private data = '';
  private isClosed = false;
  private readonly waiters: (() => void)[] = [];
  /** Bytes the socket accepted from us (what the server may have read, plus kernel buffers). */
  bytesWritten = 0;
  /** The socket error, if one came (EPIPE / ECONNRESET: the server reset the connection). */
  error?: Error & { code?: string };
  /** The server half-closed (FIN) its side. */
  ended = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.data += chunk.toString('latin1');
      this.wake();
    });
    socket.on('error', (error: Error) => (this.error = error)); // a reset is a close here; the test looks at what arrived
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('close', () => {
      this.isClosed = true;
      this.wake();
    });
  }

  /** `allowHalfOpen`: keep sending after the server's FIN (to see whether it still reads). */
  static open(port: number, options: { host?: string; allowHalfOpen?: boolean } = {}): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({
        port,
        host: options.host ?? '127.0.0.1',
        allowHalfOpen: options.allowHalfOpen ?? false,
      });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.removeListener('error', reject);
        resolve(new RawConnection(socket));
      });
    });
  }

  /** The same over TLS (any certificate: the proxy's fallback one is self-signed), once the handshake is done. */
  static openTls(port: number, servername: string): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connectTls({
        port,
        host: '127.0.0.1',
        servername,
        rejectUnauthorized: false,
        ALPNProtocols: ['http/1.1'],
      });
      socket.once('error', reject);
      socket.once('secureConnect', () => {
        socket.removeListener('error', reject);
        resolve(new RawConnection(socket));
      });
    });
  }

  get received(): string {
    return this.data;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  write(text: string | Buffer): boolean {
    if (this.isClosed || this.socket.destroyed) return false;
    this.bytesWritten += typeof text === 'string' ? Buffer.byteLength(text, 'latin1') : text.length;
    return this.socket.write(text);
  }

  /** Waits until `condition` holds (checked on every arrival and on close) or `timeoutMs` passes; returns whether it held. */
  until(condition: (c: RawConnection) => boolean, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const check = (): boolean => {
        if (!condition(this)) return false;
        clearTimeout(timer);
        resolve(true);
        return true;
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(condition(this));
      }, timeoutMs);
      const waiter = (): void => {
        if (!check()) this.waiters.push(waiter);
      };
      waiter();
    });
  }

  /** Waits for the server to close the connection (at most `timeoutMs`). */
  closedWithin(timeoutMs: number): Promise<boolean> {
    return this.until((c) => c.closed, timeoutMs);
  }

  /** Waits until the socket can take more bytes (or closes). */
  drained(): Promise<void> {
    return new Promise((resolve) => {
      if (this.isClosed) return resolve();
      const done = (): void => {
        this.socket.removeListener('drain', done);
        this.socket.removeListener('close', done);
        resolve();
      };
      this.socket.once('drain', done);
      this.socket.once('close', done);
    });
  }

  /** Sends our FIN (we are done sending). */
  end(): void {
    this.socket.end();
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiting = this.waiters.splice(0);
    for (const w of waiting) w();
  }
}
