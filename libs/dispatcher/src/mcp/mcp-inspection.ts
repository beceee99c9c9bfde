import type { IncomingMessage } from 'node:http';
import type { Exchange } from '../exchange';
import { readBoundedBody } from './bounded-body';
import { readJsonRpc, type McpMessage } from './json-rpc';
import { headerMismatch } from './mcp-headers';

/** JSON-RPC 2.0 parse error. */
export const PARSE_ERROR = -32700;
/** JSON-RPC 2.0 invalid request (here: a body over the bound, HTTP 413). */
export const INVALID_REQUEST = -32600;
/** MCP 2026-07-28 `HeaderMismatch`: the Mcp-* headers do not match the body (HTTP 400). */
export const HEADER_MISMATCH = -32020;

/** The proxy's own JSON-RPC error answer for a request it refuses after reading it. */
export interface McpRefusal {
  status: 400 | 413;
  /** The JSON-RPC error code of `body` (request log `mcp_error`). */
  code: number;
  body: string;
}

export type InspectionResult =
  | { kind: 'forward'; body: Buffer; messages: readonly McpMessage[]; batch: boolean }
  | { kind: 'refuse'; refusal: McpRefusal }
  | { kind: 'gone' };

function refusal(status: 400 | 413, code: number, message: string, id: string | number | null = null): McpRefusal {
  return { status, code, body: JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } }) };
}

/** 400 Invalid Request: a request the policy cannot be applied to (governance.ts, `ungovernableMessages`). */
export function invalidRequest(message: string): McpRefusal {
  return refusal(400, INVALID_REQUEST, `Invalid Request: ${message}`);
}

/** A media type the JSON-RPC body is sent with: `application/json` or any `+json` type, parameters ignored. */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const semicolon = value.indexOf(';');
  const type = (semicolon < 0 ? value : value.slice(0, semicolon)).trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** The first message and the batch size, for the request log (`mcp_method`, `mcp_name`, `mcp_id`, `mcp_batch`). */
function audit(exchange: Exchange | undefined, messages: readonly McpMessage[], batch: boolean): void {
  if (!exchange) return;
  const first = messages[0];
  exchange.mcp = {
    method: first?.method,
    name: first?.name,
    id: first?.id,
    batch: batch ? messages.length : undefined,
  };
}

/**
 * MCP request inspection (docs/security.md): the body of an authenticated JSON POST to a protected
 * MCP endpoint is read up to `maxBytes`, parsed as JSON-RPC and checked against the `Mcp-Method` /
 * `Mcp-Name` headers. Exactly the bytes read are forwarded; nothing else about the request changes.
 */
export class McpInspection {
  constructor(private readonly maxBytes: number) {}

  private tooLarge(): McpRefusal {
    return refusal(
      413,
      INVALID_REQUEST,
      `the request body is larger than ${this.maxBytes} bytes (MCP_INSPECT_MAX_BYTES)`,
    );
  }

  /** A refusal from the head alone: a Content-Length over the bound (no body is read, no 100 Continue sent). */
  refuseEarly(req: IncomingMessage): McpRefusal | null {
    const length = req.headers['content-length'];
    return length !== undefined && Number(length) > this.maxBytes ? this.tooLarge() : null;
  }

  /** Reads and checks the body; `done` gets the bytes to forward or the refusal. */
  inspect(req: IncomingMessage, exchange: Exchange | undefined, done: (result: InspectionResult) => void): void {
    readBoundedBody(req, this.maxBytes, (read) => {
      if (read.kind === 'gone') return done(read);
      if (read.kind === 'too-large') return done({ kind: 'refuse', refusal: this.tooLarge() });
      const parsed = readJsonRpc(read.body);
      if (parsed.kind === 'unparsable')
        return done({
          kind: 'refuse',
          refusal: refusal(400, PARSE_ERROR, `Parse error: the request body is not valid JSON (${parsed.reason})`),
        });
      audit(exchange, parsed.messages, parsed.batch);
      const mismatch = headerMismatch(req.headers, parsed.messages);
      if (mismatch) {
        const id = parsed.batch ? null : parsed.messages[0].rawId;
        return done({ kind: 'refuse', refusal: refusal(400, HEADER_MISMATCH, mismatch, id) });
      }
      done({ kind: 'forward', body: read.body, messages: parsed.messages, batch: parsed.batch });
    });
  }
}
