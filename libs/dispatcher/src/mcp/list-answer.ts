import { Logger } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import type { Exchange } from '../exchange';
import type { McpListFilters } from './governance';
import { filterAnswer, parseJson } from './list-filtering';
import { isJsonContentType } from './mcp-inspection';
import { SseListFilter } from './sse-list-filter';

/** JSON-RPC 2.0 internal error: the proxy could not read the backend's answer to filter it. */
export const ANSWER_UNREADABLE = -32603;

/** The default bound of a list answer the proxy holds (a JSON body, or one SSE event): MCP_LIST_ANSWER_MAX_BYTES. */
export const DEFAULT_LIST_ANSWER_MAX_BYTES = 8 * 1024 * 1024;

/** The backend's answer head, with the headers already prepared for the client (flat `[name, value, ...]`). */
export interface AnswerHead {
  status: number;
  reason?: string;
  headers: string[];
}

/** What the engine does with the answer: pass it as usual, feed it here, or stop (the proxy answered). */
export type AnswerHandling = 'pass' | 'filter' | 'refused';

type Plan = { kind: 'pass' } | { kind: 'json' | 'sse' } | { kind: 'refuse'; reason: string };

/** Headers that describe the backend's exact bytes, wrong once a list is filtered. */
const OF_THE_BYTES = new Set(['content-length', 'etag', 'content-md5', 'content-digest', 'repr-digest']);

const logger = new Logger('McpListFilter');

function headerValue(headers: string[], name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1];
  return undefined;
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';', 1)[0].trim().toLowerCase();
}

/**
 * Which answers are read: JSON and event streams (and nothing else) of a 2xx answer with a body;
 * an error status with another type (an HTML 502 page, a `404 Session not found` in text) is not a
 * JSON-RPC answer and passes. The proxy must read what it filters: a compressed answer is refused
 * (the request asked for `identity`).
 */
function planFor(method: string | undefined, head: AnswerHead, stream: boolean): Plan {
  const { status, headers } = head;
  if (method === 'HEAD' || status < 200 || status === 204 || status === 304) return { kind: 'pass' };
  const contentType = headerValue(headers, 'content-type');
  const type = mediaType(contentType);
  let kind: 'json' | 'sse';
  if (isJsonContentType(contentType)) kind = 'json';
  else if (type === 'text/event-stream') kind = 'sse';
  else {
    // A GET below the endpoint may fetch a page; only JSON and event streams carry JSON-RPC to a client.
    if (stream || status >= 300 || headerValue(headers, 'content-length') === '0') return { kind: 'pass' };
    return { kind: 'refuse', reason: `the answer is ${type || 'without a content type'}, not JSON or an event stream` };
  }
  const encoding = headerValue(headers, 'content-encoding');
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity')
    return { kind: 'refuse', reason: `the answer is compressed (content-encoding: ${encoding})` };
  return { kind };
}

/**
 * The list filters of one request applied to the backend's answer (MCP governance, docs/mcp.md
 * "Filtered lists"), the same for every forwarding engine: the engine hands over the head, the body
 * chunks and the end, and keeps its own backpressure (`write` returns the client's `res.write`).
 * A JSON answer is read whole (bounded) and written with its new Content-Length; an event stream is
 * filtered event by event (SseListFilter). What cannot be read is not passed: 502 with a JSON-RPC
 * error before the head, the stream ended after it; both logged.
 */
export class ListAnswer {
  private mode: 'json' | 'sse' | 'done' = 'done';
  private head: AnswerHead | null = null;
  private chunks: Buffer[] = [];
  private size = 0;
  private sse: SseListFilter | null = null;
  private flowing = true;
  private readonly maxBytes: number;

  constructor(
    private readonly method: string | undefined,
    private readonly res: ServerResponse,
    private readonly lists: McpListFilters,
    private readonly exchange: Exchange | undefined,
  ) {
    this.maxBytes = lists.maxBytes ?? DEFAULT_LIST_ANSWER_MAX_BYTES;
  }

  /** True once the proxy has answered or ended the stream itself: the engine stops reading the backend. */
  get closed(): boolean {
    return this.mode === 'done';
  }

  begin(head: AnswerHead): AnswerHandling {
    const plan = planFor(this.method, head, this.lists.stream !== undefined);
    if (plan.kind === 'pass') return 'pass';
    if (plan.kind === 'refuse') {
      this.refuse(plan.reason);
      return 'refused';
    }
    const length = Number(headerValue(head.headers, 'content-length'));
    if (plan.kind === 'json' && length > this.maxBytes) {
      this.refuse(`the answer is larger than ${this.maxBytes} bytes (MCP_LIST_ANSWER_MAX_BYTES)`);
      return 'refused';
    }
    this.mode = plan.kind;
    this.head = { ...head, headers: headersWithout(head.headers) };
    if (plan.kind === 'sse') this.startStream();
    return this.closed ? 'refused' : 'filter';
  }

  /** A body chunk from the backend; false: the client's buffer is full (wait for its 'drain'). */
  write(chunk: Buffer): boolean {
    if (this.mode === 'json') {
      this.size += chunk.length;
      this.chunks.push(chunk);
      if (this.size > this.maxBytes)
        this.refuse(`the answer is larger than ${this.maxBytes} bytes (MCP_LIST_ANSWER_MAX_BYTES)`);
      return true;
    }
    if (this.mode !== 'sse') return true;
    this.flowing = true;
    if (!(this.sse as SseListFilter).push(chunk)) {
      this.note(`an event is larger than ${this.maxBytes} bytes (MCP_LIST_ANSWER_MAX_BYTES): the stream was ended`);
      this.finishStream();
    }
    return this.flowing;
  }

  /** The backend's answer is complete. */
  end(): void {
    if (this.mode === 'json') this.endJson();
    else if (this.mode === 'sse') this.finishStream();
  }

  private startStream(): void {
    const head = this.head as AnswerHead;
    this.sse = new SseListFilter(this.lists, this.maxBytes, {
      emit: (bytes) => {
        if (!this.res.write(bytes)) this.flowing = false;
      },
      dropped: (reason) => this.note(`an event whose data is not JSON was dropped (${reason})`),
    });
    if (this.writeHead(head)) this.res.flushHeaders();
  }

  /** The head for the client; a header node:http refuses means the answer cannot be passed on. */
  private writeHead(head: AnswerHead): boolean {
    try {
      this.res.writeHead(head.status, head.reason || undefined, head.headers);
      return true;
    } catch (error) {
      this.refuse(`a header cannot be passed on (${(error as Error).message})`);
      return false;
    }
  }

  private finishStream(): void {
    this.mode = 'done';
    const code = this.sse?.errorCode;
    if (code !== undefined) this.noteErrorCode(code);
    this.res.end();
  }

  private endJson(): void {
    this.mode = 'done';
    const body = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    const parsed = parseJson(body.toString('utf8'));
    if ('reason' in parsed) return this.refuse(`the answer is not JSON (${parsed.reason})`);
    const read = filterAnswer(parsed.value, this.lists);
    if (read.errorCode !== undefined) this.noteErrorCode(read.errorCode);
    const out = read.changed ? Buffer.from(JSON.stringify(parsed.value)) : body;
    const head = this.head as AnswerHead;
    head.headers.push('content-length', String(out.length));
    if (this.writeHead(head)) this.res.end(out);
  }

  /** Fail closed before the head: 502 with a JSON-RPC error; after it, the stream ends. */
  private refuse(reason: string): void {
    this.mode = 'done';
    this.chunks = [];
    this.note(reason);
    const res = this.res;
    if (res.headersSent) return void res.end();
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: null,
      error: { code: ANSWER_UNREADABLE, message: `The proxy cannot filter the backend's answer: ${reason}` },
    });
    this.noteErrorCode(ANSWER_UNREADABLE);
    res.writeHead(502, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
      ...(this.exchange && { 'x-request-id': this.exchange.requestId }),
    });
    res.end(body);
  }

  private noteErrorCode(code: number): void {
    if (this.exchange?.mcp) this.exchange.mcp.errorCode ??= code;
  }

  /** The request log's `error` (the first problem) and the server log (every one). */
  private note(problem: string): void {
    const exchange = this.exchange;
    const text = `mcp list filter: ${problem}`;
    if (exchange) exchange.error ??= text;
    logger.warn(`${text}${exchange ? ` (request ${exchange.requestId})` : ''}`);
  }
}

function headersWithout(headers: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) if (!OF_THE_BYTES.has(headers[i])) out.push(headers[i], headers[i + 1]);
  return out;
}
