import { GithubStandin } from '../support/github-standin';
import { Backend, publicRequest, type PublicResponse } from '../support/loopback';
import { loopbackFetch } from '../support/loopback-fetch';
import { setResourcePolicy } from '../support/mcp-policy';
import { rawExchange } from '../support/raw-http';
import type { ServerProcess } from '../support/server-process';
import { protectTarget, signedToken, startProtectedServer } from '../protection/protection-fixture';

const HOST = 'lenient.mcp.test';
const POLICY = {
  rules: [
    { id: 'no-shell', method: 'tools/call', name: 'shell', deny: true },
    // Prompts can be hidden too: a prompts/list has a filter of its own (which must not replace the tools one).
    { id: 'no-secret', method: 'prompts/get', name: 'secret', deny: true },
    // A glob a backtracking regular expression takes exponential time on, for a name of many dashes.
    { id: 'admin-variants', method: 'tools/call', name: '*-*-*-*-*-*-*-*-admin', deny: true },
  ],
};

interface Message {
  id?: unknown;
  method?: unknown;
  params?: { name?: unknown };
}

/**
 * A lenient MCP backend, as hand-written servers are: it folds the method's case and coerces it to
 * text (`handlers[String(method)]`), and echoes whatever id it got, even for a notification.
 * Every tools/list answer lists every tool, `shell` included: only the proxy can hide it.
 */
function lenientAnswer(message: Message, calls: string[]): unknown {
  // Case folded, padding trimmed, cut at a NUL (as C strings are).
  const method = String(message.method).toLowerCase().split('\0')[0].trim();
  const id = message.id ?? null;
  if (method === 'tools/list')
    return {
      jsonrpc: '2.0',
      id,
      result: { tools: [{ name: 'echo' }, { name: 'shell' }].map((t) => ({ ...t, inputSchema: {} })) },
    };
  if (method === 'prompts/list') return { jsonrpc: '2.0', id, result: { prompts: [] } };
  if (method === 'tools/call') {
    calls.push(String(message.params?.name));
    return { jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: 'ran' }] } };
  }
  return { jsonrpc: '2.0', id, error: { code: -32601, message: 'Method not found' } };
}

/**
 * Attacks on MCP governance (issue 18) through the built server, against a backend that reads
 * JSON-RPC more loosely than the proxy: whatever such a backend makes of a request, a call the
 * policy denies must not run and a tool the caller may not use must not be listed.
 */
describe('MCP governance against a lenient backend', () => {
  let github: GithubStandin;
  let server: ServerProcess & { issuer: string };
  let backend: Backend;
  let token: string;
  const calls: string[] = [];

  const post = (body: string, path = '/mcp', headers: Record<string, string> = {}): Promise<PublicResponse> =>
    publicRequest({
      port: server.httpPort,
      host: HOST,
      path,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${token}`,
        ...headers,
      },
      body,
    });

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startProtectedServer(github);
    backend = await Backend.start((req, res) => {
      if (req.method === 'GET') {
        // A stream the client opened with GET: the legacy HTTP+SSE transport's (its first event names
        // the endpoint for POSTs, answers follow), or a Streamable HTTP stream resumed with
        // Last-Event-ID, which replays answers to earlier POSTs.
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const tools = lenientAnswer({ id: 5, method: 'tools/list' }, calls);
        return void res.end(
          `event: endpoint\ndata: /mcp/messages?session=1\n\nid: 9\ndata: ${JSON.stringify(tools)}\n\n`,
        );
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const value = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Message | Message[];
        const answer = Array.isArray(value) ? value.map((m) => lenientAnswer(m, calls)) : lenientAnswer(value, calls);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      });
    });
    await protectTarget(server, HOST, backend.url, { mode: 'forward' }, { endpoint: '/mcp', scopes: ['mcp:read'] });
    const jwks = (await (await loopbackFetch(`${server.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
    const aud = `http://${HOST}:${server.httpPort}/mcp`;
    token = signedToken(server.issuer, { aud, scope: 'mcp:read', login: 'alice' }, jwks.keys[0].kid);
    await setResourcePolicy(server, HOST, '/mcp', POLICY, async () => {
      const res = await post('{"jsonrpc":"2.0","id":0,"method":"tools/call","params":{"name":"shell"}}');
      return res.status === 403;
    });
  });
  afterAll(async () => {
    await backend?.close();
    await server?.stop();
    await github?.stop();
  });

  it('filters the plain tools/list (the baseline the tricks below must not escape)', async () => {
    const res = await post('{"jsonrpc":"2.0","id":1,"method":"tools/list"}');
    expect(res.status).toBe(200);
    expect(res.text).toContain('"echo"');
    expect(res.text).not.toContain('shell');
  });

  it('never lists the hidden tool to a differently-cased list method', async () => {
    const res = await post('{"jsonrpc":"2.0","id":1,"method":"Tools/List"}');
    expect(res.text).not.toContain('shell');
  });

  it.each([
    ['an id of another type', '{"jsonrpc":"2.0","id":true,"method":"tools/list"}'],
    ['an id of null', '{"jsonrpc":"2.0","id":null,"method":"tools/list"}'],
    ['an object id', '{"jsonrpc":"2.0","id":{"n":1},"method":"tools/list"}'],
    ['no id (a notification)', '{"jsonrpc":"2.0","method":"tools/list"}'],
  ])('never lists the hidden tool to a list request with %s', async (_, body) => {
    const res = await post(body);
    expect(res.text).not.toContain('shell');
  });

  it.each([
    [
      'the same id',
      '[{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"jsonrpc":"2.0","id":1,"method":"prompts/list"}]',
    ],
    [
      'ids equal as text (1 and "1")',
      '[{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"jsonrpc":"2.0","id":"1","method":"prompts/list"}]',
    ],
  ])('never lists the hidden tool to a batch of two list requests with %s', async (_, body) => {
    const res = await post(body);
    expect(res.text).not.toContain('shell');
  });

  it.each(['tools/call ', ' tools/call', 'tools/call\u0000x', 'TOOLS/CALL\t'])(
    'decides the method %j as the spec method a lenient backend reads',
    async (method) => {
      const before = calls.length;
      const res = await post(JSON.stringify({ jsonrpc: '2.0', id: 6, method, params: { name: 'shell' } }));
      expect(res.status).toBe(403);
      expect(calls.length).toBe(before);
      const list = await post(JSON.stringify({ jsonrpc: '2.0', id: 7, method: method.replace(/call/i, 'list') }));
      expect(list.text).not.toContain('shell');
    },
  );

  // Express's body-parser inflates by Content-Encoding: the proxy would have decided on other bytes.
  it.each(['br', 'gzip', 'deflate', 'identity, gzip', 'x-custom'])(
    'refuses a JSON POST with Content-Encoding: %s (the backend may decode what the proxy read as it came)',
    async (encoding) => {
      const before = calls.length;
      const res = await post('{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"echo"}}', '/mcp', {
        'content-encoding': encoding,
      });
      expect(res.status).toBe(415);
      expect(calls.length).toBe(before);
    },
  );

  it.each(['shell ', ' shell', 'shell\u0000.txt', '\tshell\n'])(
    'decides the tool name %j as the name a trimming backend reads',
    async (name) => {
      const before = calls.length;
      const res = await post(JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name } }));
      expect(res.status).toBe(403);
      expect(calls.length).toBe(before);
    },
  );

  it('refuses a method that is not a string (a backend may coerce ["tools/call"] to tools/call)', async () => {
    const before = calls.length;
    const res = await post('{"jsonrpc":"2.0","id":2,"method":["tools/call"],"params":{"name":"shell"}}');
    expect(res.status).toBe(400);
    expect(calls.length).toBe(before);
  });

  // Express (the SDK examples' server) routes case-insensitively by default; Tomcat and Spring drop `;params`.
  it.each(['/MCP', '/Mcp/', '/mcp;jsessionid=1', '/MCP/messages', '/mcp;x/'])(
    'governs %s as the endpoint it may be to the backend',
    async (path) => {
      const before = calls.length;
      const res = await post('{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"shell"}}', path);
      expect(res.status).toBe(403);
      expect(calls.length).toBe(before);
    },
  );

  it('never lists the hidden tool in a GET event stream (legacy SSE transport, resumed streams)', async () => {
    const res = await publicRequest({
      port: server.httpPort,
      host: HOST,
      path: '/mcp',
      headers: { accept: 'text/event-stream', authorization: `Bearer ${token}`, 'last-event-id': '8' },
    });
    expect(res.status).toBe(200);
    expect(res.text).toContain('event: endpoint\ndata: /mcp/messages?session=1\n\n'); // not JSON, not a list: passed
    expect(res.text).toContain('"echo"');
    expect(res.text).not.toContain('shell');
  });

  it('decides a long client-chosen name against a many-star glob without hanging', async () => {
    const name = '-'.repeat(100_000);
    const allowed = await post(JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name } }));
    expect(allowed.status).toBe(200);
    const denied = await post(
      JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: `${name}admin` } }),
    );
    expect(denied.status).toBe(403);
    expect(denied.text).toContain('admin-variants');
  });

  // Held before this review too: kept so it stays so.
  it('governs every request on a connection: pipelined after an allowed one, chunked with trailers, after a denial', async () => {
    const before = calls.length;
    const head = (length?: number) =>
      `POST /mcp HTTP/1.1\r\nHost: ${HOST}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n` +
      (length === undefined ? 'Transfer-Encoding: chunked\r\n\r\n' : `Content-Length: ${length}\r\n\r\n`);
    const body = (name: string) => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name } });
    const fixed = (name: string) => head(Buffer.byteLength(body(name))) + body(name);
    const chunked = (name: string) => {
      const text = body(name);
      const half = Math.floor(text.length / 2);
      const chunk = (part: string) => `${Buffer.byteLength(part).toString(16)}\r\n${part}\r\n`;
      return `${head()}${chunk(text.slice(0, half))}${chunk(text.slice(half))}0\r\nX-Trailer: 1\r\n\r\n`;
    };
    const pipelined = await rawExchange(server.httpPort, fixed('echo') + chunked('shell') + fixed('shell'));
    const [first, ...rest] = pipelined.responses.map((r) => r.status);
    expect(first).toBe(200);
    expect(rest.length).toBeGreaterThan(0); // a pipelined request the proxy answers is decided
    expect(new Set(rest)).toEqual(new Set([403]));
    const afterDenial = await rawExchange(server.httpPort, chunked('shell') + fixed('shell'));
    expect(new Set(afterDenial.responses.map((r) => r.status))).toEqual(new Set([403]));
    expect(calls.slice(before)).toEqual(['echo']);
  });
});
