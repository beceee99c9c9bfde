import type { McpListFilters } from './governance';
import { filterAnswer, parseJson } from './list-filtering';

const LF = 0x0a;
const CR = 0x0d;

/** Where the filtered stream goes. */
export interface SseFilterSink {
  /** Bytes for the client: an event as the backend sent it, or re-serialized. */
  emit(bytes: Buffer): void;
  /** An event was left out: its data is not JSON, so the proxy cannot tell what it lists. */
  dropped(reason: string): void;
}

/** What became of a dispatched event; for a `\n` that may follow its final `\r` in the next chunk. */
type Fate = 'emitted' | 'left-out';

/**
 * The list filters on a `text/event-stream` answer (MCP Streamable HTTP), event by event: an event
 * is held only until its blank line (at most `maxEventBytes`), then written. Events whose data is a
 * JSON-RPC response to a filtered id lose the items the caller may not use and are re-serialized
 * with one `data:` line (`id:`, `event:`, `retry:` and comments kept, in order); every other event
 * passes byte for byte; an event whose data is not JSON is dropped. Line ends are `\n`, `\r\n` or
 * `\r`, split anywhere between chunks (WHATWG HTML, "Parsing an event stream").
 */
export class SseListFilter {
  /** The current event's bytes from earlier chunks. */
  private raw: Buffer[] = [];
  private rawSize = 0;
  /** The current (unfinished) line's bytes from earlier chunks. */
  private partialLine: Buffer[] = [];
  /** The current event's complete lines. */
  private lines: string[] = [];
  /** A chunk ended with `\r`: a `\n` first in the next one is the same line end. */
  private pendingLf: Fate | 'in-event' | null = null;
  private firstLine = true;
  /** The code of the first JSON-RPC error response seen (request log `mcp_error`). */
  errorCode?: number;

  constructor(
    private readonly lists: McpListFilters,
    private readonly maxEventBytes: number,
    private readonly sink: SseFilterSink,
  ) {}

  /** Feeds bytes from the backend; false when an event grew past the bound (the stream must end). */
  push(chunk: Buffer): boolean {
    let start = 0; // where the current event's bytes begin in `chunk`
    let lineStart = 0;
    if (this.pendingLf !== null && chunk.length > 0) {
      const fate = this.pendingLf;
      this.pendingLf = null;
      if (chunk[0] === LF) {
        if (fate === 'emitted') this.sink.emit(chunk.subarray(0, 1));
        if (fate !== 'in-event') start = 1;
        lineStart = 1;
      }
    }
    for (let i = lineStart; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte !== LF && byte !== CR) continue;
      let end = i + 1;
      let lfMayFollow = false;
      if (byte === CR) {
        if (end < chunk.length) {
          if (chunk[end] === LF) end++;
        } else lfMayFollow = true;
      }
      if (i === lineStart && this.partialLine.length === 0) {
        if (this.rawSize + end - start > this.maxEventBytes) return false;
        const fate = this.dispatch(this.takeRaw(chunk.subarray(start, end)));
        start = end;
        if (lfMayFollow) this.pendingLf = fate;
      } else {
        this.lines.push(this.takeLine(chunk.subarray(lineStart, i)));
        if (lfMayFollow) this.pendingLf = 'in-event';
      }
      lineStart = end;
      i = end - 1;
    }
    if (start < chunk.length) {
      this.raw.push(chunk.subarray(start));
      this.rawSize += chunk.length - start;
      if (lineStart < chunk.length) this.partialLine.push(chunk.subarray(lineStart));
    }
    return this.rawSize <= this.maxEventBytes;
  }

  /** True when the stream ended inside an event (which is then not passed on: clients discard it too). */
  get unfinished(): boolean {
    return this.rawSize > 0;
  }

  private takeRaw(last: Buffer): Buffer {
    const bytes = this.raw.length === 0 ? last : Buffer.concat([...this.raw, last]);
    this.raw = [];
    this.rawSize = 0;
    return bytes;
  }

  private takeLine(last: Buffer): string {
    const bytes = this.partialLine.length === 0 ? last : Buffer.concat([...this.partialLine, last]);
    this.partialLine = [];
    let line = bytes.toString('utf8');
    if (this.firstLine) {
      this.firstLine = false;
      if (line.charCodeAt(0) === 0xfeff) line = line.slice(1); // a byte order mark opens the stream
    }
    return line;
  }

  private dispatch(bytes: Buffer): Fate {
    const lines = this.lines;
    this.lines = [];
    const data: string[] = [];
    for (const line of lines) {
      const value = dataValue(line);
      if (value !== undefined) data.push(value);
    }
    if (data.length === 0) return this.emit(bytes); // comments, id, retry: nothing a client reads as a message
    const parsed = parseJson(data.join('\n'));
    if ('reason' in parsed) {
      if (this.lists.stream) return this.emit(bytes); // a GET stream's `endpoint` event (McpListFilters.stream)
      this.sink.dropped(parsed.reason);
      return 'left-out';
    }
    const read = filterAnswer(parsed.value, this.lists);
    if (read.errorCode !== undefined) this.errorCode ??= read.errorCode;
    if (!read.changed) return this.emit(bytes);
    let text = '';
    let dataWritten = false;
    for (const line of lines) {
      if (dataValue(line) === undefined) text += `${line}\n`;
      else if (!dataWritten) {
        dataWritten = true;
        text += `data: ${JSON.stringify(parsed.value)}\n`;
      }
    }
    this.sink.emit(Buffer.from(`${text}\n`));
    return 'left-out';
  }

  private emit(bytes: Buffer): Fate {
    this.sink.emit(bytes);
    return 'emitted';
  }
}

/** The value of a `data` field line (one leading space removed), undefined for any other line. */
function dataValue(line: string): string | undefined {
  if (!line.startsWith('data')) return undefined;
  if (line.length === 4) return '';
  if (line.charCodeAt(4) !== 0x3a) return undefined; // "data" is the whole field name, then ':'
  return line.charCodeAt(5) === 0x20 ? line.slice(6) : line.slice(5);
}
