import type { IncomingHttpHeaders } from 'node:http';
import { namesTarget, type McpMessage } from './json-rpc';

const BASE64_VALUE = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/;

/**
 * A header value as the 2026-07-28 transport encodes it: plain, or `=?base64?<UTF-8 as base64>?=`
 * for values that are not plain ASCII. Undefined when the base64 form does not decode.
 */
function decodedHeader(value: string): string | undefined {
  if (!value.startsWith('=?base64?')) return value;
  const match = BASE64_VALUE.exec(value);
  if (!match) return undefined;
  const bytes = Buffer.from(match[1], 'base64');
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : undefined; // not UTF-8: no value can match it
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Why the `Mcp-Method` / `Mcp-Name` request headers (MCP 2026-07-28 Streamable HTTP) do not describe
 * the body, or null when they do or are absent. Headers are checked when present, so older clients
 * (which send none) pass as before. `Mcp-Method` must equal every message's method; `Mcp-Name` must
 * equal every message's tool/prompt name or resource URI, and names nothing a message does not name;
 * a client that sends `Mcp-Method` must also send `Mcp-Name` for a message that names a target. A
 * batch (2025-03-26 clients; later revisions send none) passes only when every message matches:
 * anything that decided on the headers then decided on every message.
 */
export function headerMismatch(headers: IncomingHttpHeaders, messages: readonly McpMessage[]): string | null {
  const methodHeader = single(headers['mcp-method']);
  const nameHeader = single(headers['mcp-name']);
  if (methodHeader === undefined && nameHeader === undefined) return null;
  if (messages.length === 0)
    return 'Header mismatch: the body is an empty batch, which the Mcp-* headers cannot describe';
  const name = nameHeader === undefined ? undefined : decodedHeader(nameHeader);
  if (nameHeader !== undefined && name === undefined)
    return 'Header mismatch: the Mcp-Name header is not valid =?base64?...?= encoded UTF-8';
  for (const message of messages) {
    if (methodHeader !== undefined && message.method !== methodHeader)
      return `Header mismatch: Mcp-Method header "${methodHeader}" does not match the body's method "${message.method ?? '(none)'}"`;
    if (name !== undefined && message.name !== name)
      return message.name === undefined
        ? `Header mismatch: Mcp-Name header "${nameHeader}" but the body's ${message.method ?? 'message'} names nothing`
        : `Header mismatch: Mcp-Name header "${nameHeader}" does not match the body's name "${message.name}"`;
    if (name === undefined && methodHeader !== undefined && message.name !== undefined && namesTarget(message.method))
      return `Header mismatch: the Mcp-Name header is missing (the body's ${message.method} names "${message.name}")`;
  }
  return null;
}
