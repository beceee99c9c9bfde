import { GithubStandin } from '../support/github-standin';
import { publicRequest } from '../support/loopback';
import { loopbackFetch } from '../support/loopback-fetch';
import { RawConnection } from '../support/raw-connection';
import { framingHeadersOf, rawExchange, RecordingBackend, type RawResponse } from '../support/raw-http';
import type { ServerProcess } from '../support/server-process';
import { protectTarget, signedToken, startProtectedServer } from '../protection/protection-fixture';

const HOST = 'mcp.inspect.test';
const LIMIT = 4096;
const ENGINES = ['http1', 'undici', 'node'] as const;

const call = (id: number, method: string, params?: Record<string, unknown>) =>
  JSON.stringify({ jsonrpc: '2.0', id, method, ...(params && { params }) });

/** An ASCII body as two chunks of chunked transfer coding. */
function inTwoChunks(body: string): string {
  const half = Math.floor(body.length / 2);
  const chunk = (part: string) => `${part.length.toString(16)}\r\n${part}\r\n`;
  return `${chunk(body.slice(0, half))}${chunk(body.slice(half))}0\r\n\r\n`;
}

/** The JSON-RPC error of a refusal, with its HTTP status. */
function rpcError(response: RawResponse): { status: number; id: unknown; code: number; message: string } {
  const body = JSON.parse(response.body) as { jsonrpc: string; id: unknown; error: { code: number; message: string } };
  expect(body.jsonrpc).toBe('2.0');
  return { status: response.status, id: body.id, code: body.error.code, message: body.error.message };
}

/**
 * MCP request inspection (issue 18, item 1): on a protected MCP endpoint an authenticated JSON POST
 * is read (bounded), parsed as JSON-RPC and checked against the 2026-07-28 `Mcp-Method` / `Mcp-Name`
 * headers before it goes anywhere. A refusal never reaches the backend; a request that passes
 * reaches it byte for byte, framed by the proxy with one Content-Length, through every engine.
 */
describe.each(ENGINES)('MCP request inspection (FORWARDING_ENGINE=%s)', (engine) => {
  let github: GithubStandin;
  let server: ServerProcess & { issuer: string };
  let backend: RecordingBackend;
  let token: string;

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startProtectedServer(github, { FORWARDING_ENGINE: engine, MCP_INSPECT_MAX_BYTES: String(LIMIT) });
    backend = await RecordingBackend.start();
    await protectTarget(
      server,
      HOST,
      backend.url,
      { mode: 'forward', required_users: ['alice'] },
      { endpoint: '/mcp' },
    );
    const jwks = (await (await loopbackFetch(`${server.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
    token = signedToken(server.issuer, { aud: `http://${HOST}:${server.httpPort}/mcp` }, jwks.keys[0].kid);
  });
  afterAll(async () => {
    await backend?.close();
    await server?.stop();
    await github?.stop();
  });

  /** One POST on its own connection (closed after the answer), with raw framing headers as given. */
  const post = (body: string, headers: string, path = '/mcp') =>
    rawExchange(
      server.httpPort,
      `POST ${path} HTTP/1.1\r\nHost: ${HOST}\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n${headers}\r\n${body}`,
    );
  const json = (body: string, extra = '') =>
    post(body, `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}`);
  const seenSince = (before: number) => backend.requests.slice(before);

  it('forwards a matching request byte for byte with the proxy-set Content-Length', async () => {
    const before = backend.requests.length;
    // Spacing and key order as the client wrote them: the backend gets these bytes, not a re-serialisation.
    const body = '{ "jsonrpc":"2.0", "method":"tools/call","id":7,"params":{"name":"echo","arguments":{"text":"hé"}}}';
    const result = await json(body, 'Mcp-Method: tools/call\r\nMcp-Name: echo\r\n');
    expect(result.responses.map((r) => [r.status, r.body])).toEqual([[200, 'POST /mcp HTTP/1.1']]);
    const [seen] = seenSince(before);
    expect(Buffer.from(seen.body, 'latin1').equals(Buffer.from(body))).toBe(true);
    expect(framingHeadersOf(seen.head)).toEqual(['content-length']);
    expect(seen.head).toMatch(new RegExp(`(^|\\r\\n)content-length: ${Buffer.byteLength(body)}(\\r\\n|$)`, 'i'));
    expect(seen.head).toMatch(/(^|\r\n)mcp-method: tools\/call(\r\n|$)/i);
  });

  it('refuses a Mcp-Method that does not match the body: 400, JSON-RPC -32020, never forwarded', async () => {
    const before = backend.requests.length;
    const result = await json(call(3, 'tools/call', { name: 'echo' }), 'Mcp-Method: tools/list\r\n');
    expect(result.responses).toHaveLength(1);
    expect(rpcError(result.responses[0])).toEqual({
      status: 400,
      id: 3,
      code: -32020,
      message: expect.stringMatching(/Mcp-Method header "tools\/list" does not match the body's method "tools\/call"/),
    });
    expect(seenSince(before)).toEqual([]);
  });

  it('refuses a Mcp-Name that does not match the tool, prompt or resource named in the body', async () => {
    const before = backend.requests.length;
    const cases = [
      [call(1, 'tools/call', { name: 'echo' }), 'Mcp-Method: tools/call\r\nMcp-Name: delete_everything\r\n'],
      [call(2, 'prompts/get', { name: 'greet' }), 'Mcp-Method: prompts/get\r\nMcp-Name: other\r\n'],
      [call(3, 'resources/read', { uri: 'file:///a' }), 'Mcp-Method: resources/read\r\nMcp-Name: file:///b\r\n'],
      // Mcp-Method sent (a 2026-07-28 client) without the Mcp-Name its method requires.
      [call(4, 'tools/call', { name: 'echo' }), 'Mcp-Method: tools/call\r\n'],
      // A name header for a message that names nothing.
      [call(5, 'tools/list'), 'Mcp-Name: echo\r\n'],
    ] as const;
    for (const [body, headers] of cases) {
      const result = await json(body, headers);
      expect([result.responses[0].status, rpcError(result.responses[0]).code]).toEqual([400, -32020]);
    }
    expect(seenSince(before)).toEqual([]);
  });

  it('accepts a base64-encoded Mcp-Name (the =?base64?...?= form) that decodes to the body value', async () => {
    const before = backend.requests.length;
    const name = 'météo/東京';
    const encoded = `=?base64?${Buffer.from(name).toString('base64')}?=`;
    const result = await json(call(1, 'tools/call', { name }), `Mcp-Method: tools/call\r\nMcp-Name: ${encoded}\r\n`);
    expect(result.responses.map((r) => r.status)).toEqual([200]);
    expect(seenSince(before)).toHaveLength(1);
  });

  it('answers a body that is not JSON with 400 and the JSON-RPC parse error -32700, never forwarded', async () => {
    const before = backend.requests.length;
    const result = await json('{"jsonrpc":"2.0","method":');
    expect(rpcError(result.responses[0])).toEqual({
      status: 400,
      id: null,
      code: -32700,
      message: expect.stringMatching(/not valid JSON/),
    });
    expect(seenSince(before)).toEqual([]);
  });

  it('answers a body over MCP_INSPECT_MAX_BYTES with 413 naming the limit (announced or chunked), never forwarded', async () => {
    const before = backend.requests.length;
    const big = call(1, 'tools/call', { name: 'echo', arguments: { text: 'x'.repeat(LIMIT) } });
    const announced = await json(big);
    const chunked = await post(inTwoChunks(big), 'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n');
    for (const result of [announced, chunked]) {
      expect(result.responses.map((r) => r.status)).toEqual([413]);
      expect(rpcError(result.responses[0]).message).toMatch(`larger than ${LIMIT} bytes (MCP_INSPECT_MAX_BYTES)`);
    }
    expect(seenSince(before)).toEqual([]);
  });

  it('checks every message of a batch against the headers', async () => {
    const before = backend.requests.length;
    const batch = `[${call(1, 'tools/call', { name: 'echo' })},${call(2, 'tools/call', { name: 'echo' })}]`;
    const passed = await json(batch, 'Mcp-Method: tools/call\r\nMcp-Name: echo\r\n');
    expect(passed.responses.map((r) => r.status)).toEqual([200]);
    const mixed = `[${call(1, 'tools/call', { name: 'echo' })},${call(2, 'tools/call', { name: 'rm' })}]`;
    const refused = await json(mixed, 'Mcp-Method: tools/call\r\nMcp-Name: echo\r\n');
    expect([refused.responses[0].status, rpcError(refused.responses[0]).code]).toEqual([400, -32020]);
    // Without the headers there is nothing to check: a batch of anything passes, as before.
    const plain = await json(`[${call(1, 'tools/list')},${call(2, 'tools/call', { name: 'rm' })}]`);
    expect(plain.responses.map((r) => r.status)).toEqual([200]);
    expect(seenSince(before).map((r) => r.body)).toEqual([
      batch,
      `[${call(1, 'tools/list')},${call(2, 'tools/call', { name: 'rm' })}]`,
    ]);
  });

  it('forwards a chunked request body with a Content-Length, the same bytes', async () => {
    const before = backend.requests.length;
    const body = call(9, 'tools/call', { name: 'echo', arguments: { text: 'chunks' } });
    const result = await post(
      inTwoChunks(body),
      'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nMcp-Method: tools/call\r\nMcp-Name: echo\r\n',
    );
    expect(result.responses.map((r) => r.status)).toEqual([200]);
    const [seen] = seenSince(before);
    expect(seen.body).toBe(body);
    expect(framingHeadersOf(seen.head)).toEqual(['content-length']);
  });

  it('answers Expect: 100-continue after the auth decision, then reads and forwards the body', async () => {
    const connection = await RawConnection.open(server.httpPort);
    const body = call(4, 'tools/call', { name: 'echo' });
    const before = backend.requests.length;
    connection.write(
      `POST /mcp HTTP/1.1\r\nHost: ${HOST}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
    );
    expect(await connection.until((c) => c.received.startsWith('HTTP/1.1 100 Continue\r\n\r\n'), 5000)).toBe(true);
    connection.write(body);
    expect(await connection.closedWithin(5000)).toBe(true);
    expect(connection.received).toMatch(/\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
    const [seen] = seenSince(before);
    expect(seen.body).toBe(body);
    expect(seen.head).not.toMatch(/(^|\r\n)expect:/i);
  });

  it('refuses an unauthenticated request before reading its body (401, not a JSON-RPC error)', async () => {
    const before = backend.requests.length;
    const connection = await RawConnection.open(server.httpPort);
    // Half a body that is not JSON: the answer comes without waiting for the rest, and is the auth one.
    connection.write(
      `POST /mcp HTTP/1.1\r\nHost: ${HOST}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"not json`,
    );
    expect(await connection.until((c) => /\r\n\r\n\{.*\}$/s.test(c.received), 5000)).toBe(true);
    expect(connection.received).toMatch(/^HTTP\/1\.1 401 /);
    expect(connection.received).toMatch(/\r\nconnection: close\r\n/i);
    connection.close();
    expect(seenSince(before)).toEqual([]);
  });

  it('passes what it does not inspect as before: GET on the endpoint, other paths, other content types', async () => {
    const before = backend.requests.length;
    const get = await publicRequest({
      port: server.httpPort,
      host: HOST,
      path: '/mcp',
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    });
    const other = await post('not json', 'Content-Type: application/json\r\nContent-Length: 8\r\n', '/mcp/other');
    const text = await post('not json', 'Content-Type: text/plain\r\nContent-Length: 8\r\n');
    expect([get.status, other.responses[0].status, text.responses[0].status]).toEqual([200, 200, 200]);
    expect(seenSince(before).map((r) => [r.line, r.body])).toEqual([
      ['GET /mcp HTTP/1.1', ''],
      ['POST /mcp/other HTTP/1.1', 'not json'],
      ['POST /mcp HTTP/1.1', 'not json'],
    ]);
  });
});
