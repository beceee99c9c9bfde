import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import { UpstreamTimeout } from '../upstream-failures';
import { ResponseParser, type EndOutcome, type ResponseEvents, type ResponseHead } from './response-parser';

/** How long an idle kept-alive connection is kept when the backend announces no Keep-Alive timeout. */
const DEFAULT_IDLE_MS = 30_000;
/** Close this long before the backend's announced timeout, so we never send on a connection it is closing. */
const IDLE_MARGIN_MS = 1_000;
const MAX_IDLE_PER_ORIGIN = 256;
/** Timeouts are checked by one sweep for all connections (no timer per request). */
const SWEEP_MS = 200;
/**
 * Every upstream read of this process lands here and is parsed before the next one: the parser and
 * the engine copy what they keep (partial lines, body bytes handed to the client's response).
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** The connection's user for one request/response exchange. */
export interface Exchanger extends ResponseEvents {
  /** All bytes of one read were parsed and the answer is not complete yet (time to flush what came). */
  onReadEnd(): void;
  /** The connection failed (error, timeout, close) before the answer was complete. */
  onFailure(error: Error & { code?: string }, outcome: EndOutcome | 'error'): void;
}

/** One kept-alive TCP connection to a backend; carries one exchange at a time. */
export class UpstreamConnection implements ResponseEvents {
  readonly parser = new ResponseParser(this);
  user: Exchanger | null = null;
  /** Has carried an exchange before (a failure before any answer byte may just be its idle close). */
  reused = false;
  connecting = true;
  /** The request body is still being written. */
  requestPending = false;
  connectDeadline = 0;
  readTimeoutMs = 0;
  lastActivity = 0;
  /** How long it may stay idle (the backend's Keep-Alive timeout, less a margin), and until when. */
  keepIdleMs = DEFAULT_IDLE_MS;
  idleUntil = 0;
  private failure: (Error & { code?: string }) | null = null;

  readonly socket: net.Socket;

  constructor(
    host: string,
    port: number,
    private readonly pool: OriginPool,
  ) {
    // Reads land in one shared buffer and go straight to the parser, without the stream machinery
    // of 'data' events (a measurable share of a small exchange). Whatever outlives the call is copied.
    const socket = net.connect({
      host,
      port,
      onread: { buffer: READ_BUFFER, callback: (length: number) => this.onRead(length) },
    });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('connect', () => (this.connecting = false));
    socket.on('end', () => this.onEnd());
    socket.on('error', (error: Error) => (this.failure ??= error));
    socket.on('close', () => this.onClose());
  }

  /** Starts an exchange; the caller writes the request on `socket`. */
  attach(user: Exchanger, noBody: boolean, readTimeoutMs: number): void {
    this.user = user;
    this.requestPending = false;
    this.readTimeoutMs = readTimeoutMs;
    this.lastActivity = performance.now();
    this.parser.reset(noBody);
  }

  onHead(head: ResponseHead): void {
    this.keepIdleMs =
      head.keepAliveMs > 0
        ? Math.min(DEFAULT_IDLE_MS, Math.max(0, head.keepAliveMs - IDLE_MARGIN_MS))
        : DEFAULT_IDLE_MS;
    this.user?.onHead(head);
  }

  /** `chunk` is a view of the shared read buffer: valid during this call only. */
  onBody(chunk: Buffer): void {
    this.user?.onBody(chunk);
  }

  onComplete(reusable: boolean): void {
    const user = this.user;
    this.user = null;
    this.reused = true;
    // An answer before the whole request body was sent leaves the connection mid-request.
    if (reusable && user && !this.requestPending) this.pool.release(this);
    else this.socket.destroy();
    user?.onComplete(reusable);
  }

  /** Ends the exchange without reusing the connection (the client left, or the request body is unfinished). */
  abandon(): void {
    this.user = null;
    this.socket.destroy();
  }

  /** `true`: keep reading (pausing is done with socket.pause() when the client is slow). */
  private onRead(length: number): boolean {
    this.onData(READ_BUFFER.subarray(0, length));
    return true;
  }

  private onData(chunk: Buffer): void {
    const user = this.user;
    if (!user) {
      // Nothing was asked: a backend talking out of turn cannot be trusted with the next request.
      this.socket.destroy();
      return;
    }
    this.lastActivity = performance.now();
    try {
      this.parser.feed(chunk);
    } catch (error) {
      this.user = null;
      this.socket.destroy();
      user.onFailure(error as Error, 'error');
      return;
    }
    if (this.user === user) user.onReadEnd();
  }

  private onEnd(): void {
    const user = this.user;
    if (!user) return void this.socket.destroy();
    const outcome = this.parser.end(); // 'complete' has already reported through onComplete
    if (outcome !== 'complete') {
      this.user = null;
      this.socket.destroy();
      user.onFailure(this.closedError(), outcome);
    }
  }

  private onClose(): void {
    this.pool.forget(this);
    const user = this.user;
    if (!user) return;
    this.user = null;
    // A socket error was recorded before the close; otherwise the close itself is the failure.
    if (this.failure) user.onFailure(this.failure, 'error');
    else user.onFailure(this.closedError(), this.parser.started ? 'truncated' : 'nothing-received');
  }

  /** Called by the sweep: fails the exchange if the connect or read deadline passed. */
  checkDeadlines(now: number): void {
    const user = this.user;
    if (!user) return;
    let timeout: UpstreamTimeout | null = null;
    if (this.connecting && now > this.connectDeadline) timeout = new UpstreamTimeout('connect');
    else if (!this.connecting && now - this.lastActivity > this.readTimeoutMs) timeout = new UpstreamTimeout('read');
    if (!timeout) return;
    this.user = null;
    this.socket.destroy();
    user.onFailure(timeout, 'error');
  }

  private closedError(): Error & { code: string } {
    return Object.assign(new Error('the backend closed the connection'), { code: 'ECONNRESET' });
  }
}

/** Idle connections to one backend origin, most recently used first out. */
class OriginPool {
  readonly idle: UpstreamConnection[] = [];
  readonly all = new Set<UpstreamConnection>();

  constructor(
    readonly host: string,
    readonly port: number,
  ) {}

  release(connection: UpstreamConnection): void {
    if (this.idle.length >= MAX_IDLE_PER_ORIGIN || connection.socket.destroyed) {
      connection.socket.destroy();
      return;
    }
    connection.idleUntil = performance.now() + connection.keepIdleMs;
    if (connection.socket.isPaused()) connection.socket.resume();
    this.idle.push(connection);
  }

  /** Closes the idle connections past their time (removed from the list now: 'close' comes later). */
  expireIdle(now: number): void {
    for (let i = this.idle.length - 1; i >= 0; i--) {
      if (this.idle[i].idleUntil > now) continue;
      const [expired] = this.idle.splice(i, 1);
      expired.socket.destroy();
    }
  }

  forget(connection: UpstreamConnection): void {
    this.all.delete(connection);
    const at = this.idle.indexOf(connection);
    if (at >= 0) this.idle.splice(at, 1);
  }
}

/**
 * Kept-alive HTTP/1.1 connections per backend origin (host:port). A request takes the most recently
 * used idle connection or opens a new one; a finished exchange gives it back unless the response
 * said otherwise. One sweep every 200 ms enforces connect and read timeouts and closes connections
 * idle for longer than the backend keeps them (its `Keep-Alive: timeout`, less a second).
 */
export class UpstreamPool {
  private readonly origins = new Map<string, OriginPool>();
  private readonly sweep: NodeJS.Timeout;

  constructor() {
    this.sweep = setInterval(() => this.checkAll(), SWEEP_MS);
    this.sweep.unref();
  }

  /** An idle connection to host:port, or a new one (`fresh` forces a new one). */
  acquire(host: string, port: number, connectTimeoutMs: number, fresh: boolean): UpstreamConnection {
    const key = `${host}:${port}`;
    let origin = this.origins.get(key);
    if (!origin) {
      origin = new OriginPool(host, port);
      this.origins.set(key, origin);
    }
    const now = performance.now();
    while (!fresh && origin.idle.length > 0) {
      const idle = origin.idle.pop() as UpstreamConnection;
      if (!idle.socket.destroyed && idle.idleUntil > now) return idle;
      idle.socket.destroy();
    }
    const connection = new UpstreamConnection(host, port, origin);
    connection.connectDeadline = now + connectTimeoutMs;
    origin.all.add(connection);
    return connection;
  }

  close(): void {
    clearInterval(this.sweep);
    for (const origin of this.origins.values()) for (const connection of origin.all) connection.socket.destroy();
    this.origins.clear();
  }

  private checkAll(): void {
    const now = performance.now();
    for (const [key, origin] of this.origins) {
      for (const connection of origin.all) connection.checkDeadlines(now);
      origin.expireIdle(now);
      if (origin.all.size === 0) this.origins.delete(key);
    }
  }
}
