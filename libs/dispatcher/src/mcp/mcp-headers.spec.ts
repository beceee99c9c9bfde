import { readJsonRpc, type McpMessage } from './json-rpc';
import { headerMismatch } from './mcp-headers';
import { isJsonContentType } from './mcp-inspection';

const messages = (body: unknown): McpMessage[] => {
  const read = readJsonRpc(Buffer.from(JSON.stringify(body)));
  if (read.kind !== 'messages') throw new Error(read.reason);
  return read.messages;
};

describe('reading JSON-RPC on an MCP endpoint', () => {
  it('takes the method, the name or URI the method names, and the id of each message', () => {
    expect(
      messages([
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', uri: 'x' } },
        { jsonrpc: '2.0', id: 'a', method: 'resources/read', params: { uri: 'file:///a', name: 'n' } },
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        { jsonrpc: '2.0', id: 2, method: 'tools/list', params: { name: 'not a target' } },
        { jsonrpc: '2.0', id: 3, result: {} },
        42,
      ]),
    ).toEqual([
      { method: 'tools/call', name: 'echo', id: '1', rawId: 1 },
      { method: 'resources/read', name: 'file:///a', id: 'a', rawId: 'a' },
      { method: 'notifications/initialized', id: undefined, rawId: null },
      { method: 'tools/list', id: '2', rawId: 2 },
      { method: undefined, id: '3', rawId: 3 },
      { rawId: null },
    ]);
    expect(readJsonRpc(Buffer.from('{"a":'))).toEqual({ kind: 'unparsable', reason: expect.any(String) });
  });

  it('recognises JSON media types only', () => {
    expect(
      ['application/json', 'Application/JSON; charset=utf-8', 'application/vnd.x+json'].map(isJsonContentType),
    ).toEqual([true, true, true]);
    expect([undefined, 'text/plain', 'application/jsonp', 'text/json+x'].map(isJsonContentType)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});

describe('Mcp-Method / Mcp-Name against the body', () => {
  const call = messages({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo' } });

  it('passes without headers, and with headers that match', () => {
    expect(headerMismatch({}, call)).toBeNull();
    expect(headerMismatch({}, [])).toBeNull();
    expect(headerMismatch({ 'mcp-method': 'tools/call', 'mcp-name': 'echo' }, call)).toBeNull();
    expect(headerMismatch({ 'mcp-method': 'tools/list' }, messages({ id: 1, method: 'tools/list' }))).toBeNull();
    const encoded = `=?base64?${Buffer.from('東京').toString('base64')}?=`;
    const named = messages({ id: 1, method: 'tools/call', params: { name: '東京' } });
    expect(headerMismatch({ 'mcp-method': 'tools/call', 'mcp-name': encoded }, named)).toBeNull();
  });

  it('names what does not match', () => {
    expect(headerMismatch({ 'mcp-method': 'tools/list' }, call)).toMatch(/Mcp-Method header "tools\/list"/);
    expect(headerMismatch({ 'mcp-method': 'tools/call', 'mcp-name': 'rm' }, call)).toMatch(/Mcp-Name header "rm"/);
    expect(headerMismatch({ 'mcp-method': 'tools/call' }, call)).toMatch(/Mcp-Name header is missing/);
    expect(headerMismatch({ 'mcp-name': 'echo' }, messages({ id: 1, method: 'tools/list' }))).toMatch(/names nothing/);
    expect(headerMismatch({ 'mcp-method': 'tools/call', 'mcp-name': '=?base64?***?=' }, call)).toMatch(/base64/);
    expect(headerMismatch({ 'mcp-method': 'tools/call' }, [])).toMatch(/empty batch/);
    // Header values are case-sensitive (2026-07-28, "Case Sensitivity").
    expect(headerMismatch({ 'mcp-method': 'Tools/Call', 'mcp-name': 'echo' }, call)).toMatch(/Mcp-Method/);
  });

  it('holds every message of a batch to the headers', () => {
    const batch = messages([
      { id: 1, method: 'tools/call', params: { name: 'echo' } },
      { id: 2, method: 'tools/call', params: { name: 'rm' } },
    ]);
    expect(headerMismatch({ 'mcp-method': 'tools/call' }, batch)).toMatch(/Mcp-Name header is missing/);
    expect(headerMismatch({ 'mcp-method': 'tools/call', 'mcp-name': 'echo' }, batch)).toMatch(/"rm"/);
  });
});
