import { Transform, type TransformCallback } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Deepest nesting of arrays and objects an admin API body may use (the DTOs need 4 at most). */
export const MAX_JSON_DEPTH = 32;
/** Object keys an admin API body may hold in total, at every depth. */
export const MAX_JSON_KEYS = 10_000;
/** Keys that reach an object's prototype when code copies a parsed body into another object. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** The longest forbidden key: longer strings cannot be one, so only this much of a string is kept. */
const KEY_CAPTURE = 11;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const ESCAPED: Record<number, string> = {
  0x22: '"',
  0x5c: '\\',
  0x2f: '/',
  0x62: '\b',
  0x66: '\f',
  0x6e: '\n',
  0x72: '\r',
  0x74: '\t',
};

/** A refused body: 400, with a message that names the limit (mapped by ApiExceptionFilter). */
export class JsonBodyLimitError extends Error {
  readonly statusCode = 400;
  readonly code = 'JSON_BODY_LIMIT';
}

/**
 * Checks the shape of a JSON text as its bytes arrive, in one pass and constant memory (no
 * recursion, no parse): nesting depth, total key count and forbidden keys (decoded, so
 * `"\u005f_proto__"` counts). Outside strings a `:` only ever follows a key, so keys are counted
 * there. Syntax is the parser's job; this only bounds what the parser and the DTO transform get.
 */
export class JsonShapeScanner {
  private depth = 0;
  private keys = 0;
  private inString = false;
  private escaped = false;
  private hexLeft = 0;
  private hexValue = 0;
  /** The current string's first characters (decoded), or null once it is too long to be a forbidden key. */
  private captured: string | null = '';
  private lastString: string | null = null;

  /** The problem with the text so far, or null. */
  feed(chunk: Buffer): string | null {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (this.inString) {
        this.stringByte(byte);
        continue;
      }
      if (byte === QUOTE) {
        this.inString = true;
        this.captured = '';
      } else if (byte === 0x7b || byte === 0x5b) {
        if (++this.depth > MAX_JSON_DEPTH)
          return `request body nests JSON deeper than ${MAX_JSON_DEPTH} levels; flatten it`;
      } else if (byte === 0x7d || byte === 0x5d) {
        if (this.depth > 0) this.depth--;
      } else if (byte === COLON) {
        if (++this.keys > MAX_JSON_KEYS)
          return `request body has more than ${MAX_JSON_KEYS} JSON object keys; send fewer`;
        if (this.lastString !== null && FORBIDDEN_KEYS.has(this.lastString))
          return `request body uses the JSON key "${this.lastString}", which is not allowed`;
      }
    }
    return null;
  }

  private stringByte(byte: number): void {
    if (this.hexLeft > 0) {
      this.hexValue = this.hexValue * 16 + hexDigit(byte);
      if (--this.hexLeft === 0) this.append(this.hexValue >= 0 ? String.fromCharCode(this.hexValue) : '\u0080');
    } else if (this.escaped) {
      this.escaped = false;
      if (byte === 0x75) {
        this.hexLeft = 4;
        this.hexValue = 0;
      } else this.append(ESCAPED[byte] ?? '\u0080');
    } else if (byte === BACKSLASH) {
      this.escaped = true;
    } else if (byte === QUOTE) {
      this.inString = false;
      this.lastString = this.captured;
    } else {
      // Bytes of multi-byte UTF-8 characters never spell an ASCII key: any non-ASCII stand-in will do.
      this.append(byte < 0x80 ? String.fromCharCode(byte) : '\u0080');
    }
  }

  private append(char: string): void {
    if (this.captured === null) return;
    this.captured = this.captured.length < KEY_CAPTURE ? this.captured + char : null;
  }
}

function hexDigit(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -0x10000; // not hex: the parser refuses the text; make sure no key matches
}

/** The payload stream handed to the body parser, checked chunk by chunk on the way. */
class JsonShapeCheck extends Transform {
  private readonly scanner = new JsonShapeScanner();
  /** Fastify compares this with Content-Length and the body limit (see its preParsing docs). */
  receivedEncodedLength = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.receivedEncodedLength += chunk.length;
    const problem = this.scanner.feed(chunk);
    callback(problem ? new JsonBodyLimitError(problem) : null, chunk);
  }
}

function isJson(request: FastifyRequest): boolean {
  const type = request.headers['content-type'];
  return typeof type === 'string' && /json/i.test(type);
}

/**
 * Bounds every JSON body the admin app parses (depth, key count, prototype keys) before the parser
 * and the DTO transform see it: deep nesting answered 500 (stack overflow in the transform) before.
 */
export function limitJsonBodies(fastify: FastifyInstance): void {
  fastify.addHook('preParsing', async (request, _reply, payload) =>
    isJson(request) ? payload.pipe(new JsonShapeCheck()) : payload,
  );
}
