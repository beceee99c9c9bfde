/**
 * An incremental HTTP/1.1 response parser for the proxy's upstream connections (RFC 9112): status
 * line and header block, then the body framed by Content-Length, chunked transfer coding (decoded;
 * trailers read and dropped) or the connection's close. Strict where leniency would let a backend
 * smuggle a second message past us: obs-fold, whitespace before the colon, bare CR/LF or NUL in a
 * value, conflicting Content-Length values and malformed chunk sizes are errors, and a response
 * with both Transfer-Encoding and Content-Length is read as chunked on a connection that is not reused.
 */

/** Longest status line + header block accepted (the backend's headers go to the client). */
export const MAX_HEAD_BYTES = 64 * 1024;
const MAX_CHUNK_LINE = 4 * 1024;
const MAX_TRAILER_BYTES = 16 * 1024;

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: ([^\r\n\0]*))?$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Control characters other than HTAB (node:http refuses to send them on, RFC 9110 §5.5).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;
const CHUNK_SIZE = /^([0-9a-fA-F]{1,15})[ \t]*(?:;.*)?$/;

export class ResponseParseError extends Error {
  readonly code = 'HPE_UPSTREAM_RESPONSE';
}

/** The head of a final (non-1xx) response. */
export interface ResponseHead {
  status: number;
  reason: string;
  /** Header pairs as received, names lower-cased: [name, value, name, value, ...]. */
  headers: string[];
  /** The backend's `Keep-Alive: timeout=N`, in ms (0 when it sent none). */
  keepAliveMs: number;
}

export interface ResponseEvents {
  onHead(head: ResponseHead): void;
  /** A view of the bytes fed: valid only during this call (copy what is kept). */
  onBody(chunk: Buffer): void;
  /** The message is over; `reusable` = the connection may carry another request. */
  onComplete(reusable: boolean): void;
}

const enum State {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  UntilClose,
  Done,
}

/** What `end()` (the backend closed its side) means for the message in progress. */
export type EndOutcome = 'complete' | 'nothing-received' | 'truncated';

export class ResponseParser {
  private state = State.Head;
  /** Unconsumed bytes of an incomplete line or head, kept until the rest arrives. */
  private pending: Buffer | null = null;
  private remaining = 0;
  private trailerBytes = 0;
  private keepAlive = true;
  private received = false;
  private noBody = false;

  constructor(private readonly events: ResponseEvents) {}

  /** Starts a new response; `noBody` for answers to HEAD (no body whatever the headers say). */
  reset(noBody: boolean): void {
    this.state = State.Head;
    this.pending = null;
    this.remaining = 0;
    this.trailerBytes = 0;
    this.keepAlive = true;
    this.received = false;
    this.noBody = noBody;
  }

  get done(): boolean {
    return this.state === State.Done;
  }

  /** Bytes of this response arrived (a failure after that cannot be retried on another connection). */
  get started(): boolean {
    return this.received;
  }

  /**
   * Consumes bytes from the backend. Throws ResponseParseError on a malformed message. Bytes after
   * the end of the message make the connection unusable (reported as not reusable).
   */
  feed(data: Buffer): void {
    if (data.length === 0) return;
    this.received = true;
    let buf = data;
    if (this.pending) {
      buf = Buffer.concat([this.pending, data]);
      this.pending = null;
    }
    let at = 0;
    while (at < buf.length) {
      switch (this.state) {
        case State.Head: {
          const end = buf.indexOf(HEAD_END, at);
          if (end < 0) return this.keep(buf, at, MAX_HEAD_BYTES, 'the response head is too large');
          if (end - at > MAX_HEAD_BYTES) throw new ResponseParseError('the response head is too large');
          const text = buf.toString('latin1', at, end);
          at = end + 4;
          this.head(text);
          break;
        }
        case State.Length: {
          const take = Math.min(this.remaining, buf.length - at);
          this.remaining -= take;
          const chunk = buf.subarray(at, at + take);
          at += take;
          this.events.onBody(chunk);
          if (this.remaining === 0) this.complete();
          break;
        }
        case State.ChunkSize: {
          const end = buf.indexOf(CRLF, at);
          if (end < 0) return this.keep(buf, at, MAX_CHUNK_LINE, 'a chunk size line is too long');
          const match = CHUNK_SIZE.exec(buf.toString('latin1', at, end));
          if (!match) throw new ResponseParseError('invalid chunk size');
          at = end + 2;
          this.remaining = parseInt(match[1], 16);
          this.state = this.remaining === 0 ? State.Trailers : State.ChunkData;
          break;
        }
        case State.ChunkData: {
          const take = Math.min(this.remaining, buf.length - at);
          this.remaining -= take;
          const chunk = buf.subarray(at, at + take);
          at += take;
          if (this.remaining === 0) this.state = State.ChunkEnd;
          this.events.onBody(chunk);
          break;
        }
        case State.ChunkEnd: {
          if (buf.length - at < 2) return this.keep(buf, at, 2, '');
          if (buf[at] !== 13 || buf[at + 1] !== 10) throw new ResponseParseError('a chunk does not end with CRLF');
          at += 2;
          this.state = State.ChunkSize;
          break;
        }
        case State.Trailers: {
          const end = buf.indexOf(CRLF, at);
          if (end < 0) return this.keep(buf, at, MAX_TRAILER_BYTES - this.trailerBytes, 'the trailers are too large');
          this.trailerBytes += end - at + 2;
          if (this.trailerBytes > MAX_TRAILER_BYTES) throw new ResponseParseError('the trailers are too large');
          const empty = end === at;
          at = end + 2;
          if (empty) this.complete();
          break;
        }
        case State.UntilClose: {
          const chunk = at === 0 ? buf : buf.subarray(at);
          at = buf.length;
          this.events.onBody(chunk);
          break;
        }
        case State.Done:
          return;
      }
      if ((this.state as State) === State.Done) {
        // Bytes after the answer: the backend sent more than one, the connection cannot be trusted again.
        if (at < buf.length) this.keepAlive = false;
        this.events.onComplete(this.keepAlive);
        return;
      }
    }
  }

  /** The backend closed its side. */
  end(): EndOutcome {
    if (this.state === State.Done) return 'complete';
    if (this.state === State.UntilClose) {
      this.keepAlive = false;
      this.state = State.Done;
      this.events.onComplete(false);
      return 'complete';
    }
    return this.received ? 'truncated' : 'nothing-received';
  }

  /** True once the message is complete and the connection may carry the next request. */
  get reusable(): boolean {
    return this.state === State.Done && this.keepAlive;
  }

  private keep(buf: Buffer, at: number, limit: number, tooLarge: string): void {
    if (buf.length - at > limit && tooLarge) throw new ResponseParseError(tooLarge);
    // Copy: the slice would pin the whole socket read buffer.
    this.pending = Buffer.from(buf.subarray(at));
  }

  /** The message ended; `feed` reports it once it knows whether bytes follow. */
  private complete(): void {
    this.state = State.Done;
  }

  private head(text: string): void {
    const lines = text.split('\r\n');
    const status = STATUS_LINE.exec(lines[0]);
    if (!status) throw new ResponseParseError('invalid status line');
    const code = Number(status[2]);
    const http10 = status[1] === '0';
    const headers: string[] = [];
    let contentLength = -1;
    let chunked = false;
    let transferEncoding = false;
    let close = http10;
    let keepAliveMs = 0;
    let repeatedLength = false;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i];
      const colon = line.indexOf(':');
      if (colon <= 0) throw new ResponseParseError('invalid header line');
      const rawName = line.slice(0, colon);
      if (!TOKEN.test(rawName)) throw new ResponseParseError('invalid header name');
      const value = line.slice(colon + 1).trim();
      if (BAD_VALUE.test(value)) throw new ResponseParseError('invalid header value');
      const name = rawName.toLowerCase();
      headers.push(name, value);
      switch (name) {
        case 'content-length': {
          for (const part of value.split(',')) {
            const n = part.trim();
            if (!/^\d{1,15}$/.test(n) || (contentLength >= 0 && Number(n) !== contentLength))
              throw new ResponseParseError('invalid Content-Length');
            if (contentLength >= 0) repeatedLength = true;
            contentLength = Number(n);
          }
          break;
        }
        case 'transfer-encoding': {
          transferEncoding = true;
          const codings = value.toLowerCase().split(',');
          chunked = codings[codings.length - 1].trim() === 'chunked';
          break;
        }
        case 'connection': {
          for (const token of value.toLowerCase().split(',')) {
            const t = token.trim();
            if (t === 'close') close = true;
            else if (t === 'keep-alive' && http10) close = false;
          }
          break;
        }
        case 'keep-alive': {
          const timeout = /(?:^|[,\s])timeout=(\d+)/i.exec(value);
          if (timeout) keepAliveMs = Number(timeout[1]) * 1000;
          break;
        }
      }
    }
    if (code < 200) {
      // 100 Continue, 102, 103: informational, the final answer follows (101 never: no upgrade was asked for).
      if (code === 101) throw new ResponseParseError('unexpected 101 Switching Protocols');
      return;
    }
    // The same length twice is readable, but a backend that sends it is not trusted with another request.
    this.keepAlive = !close && !repeatedLength;
    if (transferEncoding && contentLength >= 0) {
      // Both framings: the length is void (RFC 9112 §6.3) and must not reach the client either.
      for (let i = headers.length - 2; i >= 0; i -= 2) if (headers[i] === 'content-length') headers.splice(i, 2);
    }
    this.events.onHead({ status: code, reason: status[3] ?? '', headers, keepAliveMs });
    if (this.noBody || code === 204 || code === 304) return this.complete();
    if (transferEncoding) {
      // Both framings at once is how requests are smuggled: read it as chunked, then drop the connection.
      if (contentLength >= 0) this.keepAlive = false;
      if (chunked) this.state = State.ChunkSize;
      else {
        this.keepAlive = false;
        this.state = State.UntilClose;
      }
      return;
    }
    if (contentLength === 0) return this.complete();
    if (contentLength > 0) {
      this.remaining = contentLength;
      this.state = State.Length;
      return;
    }
    this.keepAlive = false;
    this.state = State.UntilClose;
  }
}
