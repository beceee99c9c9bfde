import { connect as connectTcp, createServer, type Server, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

/** One request as a backend read it from the bytes on its connection. */
export interface RecordedRequest {
  /** The request line, e.g. `POST /x HTTP/1.1`. */
  line: string;
  /** The head after the request line, as received (CRLF-separated header lines). */
  head: string;
  body: string;
  connection: number;
}

/**
 * A keep-alive backend on raw TCP that reads requests the way a simple HTTP/1.1 server does
 * (Content-Length or chunked, nothing else), records every request it reads, and answers each
 * with its request line as the body. A smuggled request shows up as one more recorded request.
 */
export class RecordingBackend {
  readonly requests: RecordedRequest[] = [];
  connections = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<RecordingBackend> {
    const backend = new RecordingBackend(createServer());
    backend.server.on('connection', (socket) => backend.serve(socket));
    await new Promise<void>((resolve) => backend.server.listen(0, '127.0.0.1', resolve));
    return backend;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private serve(socket: Socket): void {
    const connection = ++this.connections;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => {
      buffered = Buffer.concat([buffered, data]);
      for (let i = 0; i < 100; i++) {
        const parsed = readRequest(buffered);
        if (!parsed) return;
        buffered = buffered.subarray(parsed.used);
        const request = { ...parsed.request, connection };
        this.requests.push(request);
        socket.write(
          `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(request.line)}\r\n\r\n${request.line}`,
        );
      }
    });
  }
}

/** The first complete request in `data` and how many bytes it used, or null when incomplete. */
function readRequest(data: Buffer): { request: Omit<RecordedRequest, 'connection'>; used: number } | null {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const text = data.subarray(0, end).toString('latin1');
  const firstBreak = text.indexOf('\r\n');
  const line = firstBreak < 0 ? text : text.slice(0, firstBreak);
  const head = firstBreak < 0 ? '' : text.slice(firstBreak + 2);
  let at = end + 4;
  if (/(^|\r\n)transfer-encoding:[^\r]*chunked/i.test(head)) {
    let body = '';
    for (let i = 0; i < 10_000; i++) {
      const sizeEnd = data.indexOf('\r\n', at);
      if (sizeEnd < 0) return null;
      const size = parseInt(data.subarray(at, sizeEnd).toString('latin1'), 16);
      if (!size) {
        const trailerEnd = data.indexOf('\r\n\r\n', sizeEnd - 2);
        return trailerEnd < 0 ? null : { request: { line, head, body }, used: trailerEnd + 4 };
      }
      if (data.length < sizeEnd + 2 + size + 2) return null;
      body += data.subarray(sizeEnd + 2, sizeEnd + 2 + size).toString('latin1');
      at = sizeEnd + 2 + size + 2;
    }
    return null;
  }
  const length = Number(/(?:^|\r\n)content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
  if (data.length < at + length) return null;
  return { request: { line, head, body: data.subarray(at, at + length).toString('latin1') }, used: at + length };
}

/** The framing header names (lower-case) in a recorded head, in order. */
export function framingHeadersOf(head: string): string[] {
  return head
    .split('\r\n')
    .map((h) => h.slice(0, h.indexOf(':')).trim().toLowerCase())
    .filter((name) => name === 'content-length' || name === 'transfer-encoding');
}

export interface RawResponse {
  status: number;
  head: string;
  body: string;
}

export interface RawExchangeResult {
  responses: RawResponse[];
  /** The peer closed (or reset) the connection. */
  closed: boolean;
  /** Bytes that are not a complete response. */
  rest: string;
}

export interface RawExchangeOptions {
  tls?: { servername?: string };
  /** Written once the first complete response arrived (e.g. a marker request with `Connection: close`). */
  afterFirstResponse?: string;
  /** Safety bound: destroy the connection after this long (a failing case must not hang the suite). */
  timeoutMs?: number;
}

/**
 * Writes exact bytes to a listener and reads responses (Content-Length or chunked) until the
 * server closes the connection.
 */
export function rawExchange(
  port: number,
  data: string | Buffer,
  options: RawExchangeOptions = {},
): Promise<RawExchangeResult> {
  return new Promise((resolve) => {
    const socket: Socket = options.tls
      ? connectTls({ port, host: '127.0.0.1', servername: options.tls.servername, rejectUnauthorized: false })
      : connectTcp({ port, host: '127.0.0.1' });
    let received = Buffer.alloc(0);
    const responses: RawResponse[] = [];
    let followed = false;
    const guard = setTimeout(() => socket.destroy(), options.timeoutMs ?? 10_000);
    const finish = () => {
      clearTimeout(guard);
      resolve({ responses, closed: true, rest: received.toString('latin1') });
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      for (let i = 0; i < 100; i++) {
        const parsed = readResponse(received);
        if (!parsed) break;
        responses.push(parsed.response);
        received = received.subarray(parsed.used);
      }
      if (responses.length > 0 && options.afterFirstResponse && !followed) {
        followed = true;
        socket.write(options.afterFirstResponse);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', finish);
    socket.once(options.tls ? 'secureConnect' : 'connect', () => socket.write(data));
  });
}

function readResponse(data: Buffer): { response: RawResponse; used: number } | null {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = data.subarray(0, end).toString('latin1');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
  const at = end + 4;
  if (status === 101) return { response: { status, head, body: '' }, used: at };
  if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
    const terminator = data.indexOf('\r\n0\r\n\r\n', at - 2);
    if (terminator < 0) return null;
    let body = '';
    let rest = data.subarray(at, terminator + 2).toString('latin1');
    for (let i = 0; i < 10_000 && rest.length > 0; i++) {
      const line = rest.indexOf('\r\n');
      const size = parseInt(rest.slice(0, line), 16);
      body += rest.slice(line + 2, line + 2 + size);
      rest = rest.slice(line + 4 + size);
    }
    return { response: { status, head, body }, used: terminator + 7 };
  }
  const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
  if (data.length < at + length) return null;
  return { response: { status, head, body: data.subarray(at, at + length).toString('latin1') }, used: at + length };
}
