import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { loopbackFetch } from '../support/loopback-fetch';
import { McpEchoProcess } from '../support/mcp-echo-process';
import { ServerProcess } from '../support/server-process';

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
};
const ACCEPT = { accept: 'application/json, text/event-stream', 'content-type': 'application/json' };
const IDENTITY = {
  'X-Auth-User-Id': '583231',
  'X-Auth-User-Name': 'octocat',
  'X-Auth-User-Email': 'octocat@github.test',
  'X-Auth-Scopes': 'mcp:read mcp:write',
  'X-Auth-Client-Id': 'client-123',
};

type Text = { content: { type: string; text: string }[] };

async function connect(url: string, options: { headers?: Record<string, string>; fetch?: typeof fetch } = {}) {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: options.headers ?? {} },
    fetch: options.fetch,
  });
  const client = new Client({ name: 'e2e', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

/** Calls `countdown` and records the order in which progress notifications and the result arrive. */
async function countdown(client: Client, steps: number): Promise<string[]> {
  const events: string[] = [];
  const result = (await client.callTool({ name: 'countdown', arguments: { steps, interval_ms: 20 } }, undefined, {
    onprogress: (p) => events.push(`progress ${p.progress}/${p.total}`),
  })) as Text;
  events.push(`result ${result.content[0].text}`);
  return events;
}

describe('mcp-echo (built), used with the SDK client', () => {
  let stateless: McpEchoProcess;
  let stateful: McpEchoProcess;

  beforeAll(async () => {
    [stateless, stateful] = await Promise.all([
      McpEchoProcess.start('stateless'),
      McpEchoProcess.start('stateful', { MCP_ECHO_ALLOWED_HOSTS: 'echo-stateful.example.test' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([stateless?.stop(), stateful?.stop()]);
  });

  describe.each([
    ['stateless', () => stateless],
    ['stateful', () => stateful],
  ])('%s, directly', (mode, echo) => {
    it('lists the tools and echoes', async () => {
      const { client } = await connect(echo().url);
      expect(client.getServerVersion()).toEqual({ name: `mcp-echo-${mode}`, version: '1.0.0' });
      expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['countdown', 'echo', 'whoami']);
      expect(await client.callTool({ name: 'echo', arguments: { text: 'héllo ✓' } })).toMatchObject({
        content: [{ type: 'text', text: 'héllo ✓' }],
      });
      await client.close();
    });

    it('whoami returns the identity headers it received (nulls without them)', async () => {
      const { client } = await connect(echo().url, { headers: IDENTITY });
      const who = (await client.callTool({ name: 'whoami', arguments: {} })) as Text & {
        structuredContent: Record<string, unknown>;
      };
      expect(who.structuredContent).toEqual({
        user_id: '583231',
        user_name: 'octocat',
        user_email: 'octocat@github.test',
        scopes: 'mcp:read mcp:write',
        client_id: 'client-123',
        headers: Object.fromEntries(Object.entries(IDENTITY).map(([k, v]) => [k.toLowerCase(), v])),
      });
      expect(JSON.parse(who.content[0].text)).toEqual(who.structuredContent);
      const anonymous = await connect(echo().url);
      expect((await anonymous.client.callTool({ name: 'whoami', arguments: {} })).structuredContent).toEqual({
        user_id: null,
        user_name: null,
        user_email: null,
        scopes: null,
        client_id: null,
        headers: {},
      });
      await Promise.all([client.close(), anonymous.client.close()]);
    });

    it('streams progress notifications before the result', async () => {
      const { client } = await connect(echo().url);
      expect(await countdown(client, 3)).toEqual([
        'progress 1/3',
        'progress 2/3',
        'progress 3/3',
        'result done after 3 steps',
      ]);
      await client.close();
    });
  });

  it('stateless: no session id, GET and DELETE answer 405', async () => {
    const { client, transport } = await connect(stateless.url);
    expect(transport.sessionId).toBeUndefined();
    await client.close();
    const get = await fetch(stateless.url, { headers: { accept: 'text/event-stream' } });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await fetch(stateless.url, { method: 'DELETE' })).status).toBe(405);
  });

  it('stateful: a session survives across requests, has a GET stream, and ends with DELETE', async () => {
    const first = await connect(stateful.url);
    const second = await connect(stateful.url);
    const id = first.transport.sessionId!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.transport.sessionId).not.toBe(id);
    for (const text of ['one', 'two', 'three']) {
      expect(await first.client.callTool({ name: 'echo', arguments: { text } })).toMatchObject({ content: [{ text }] });
    }
    expect(first.transport.sessionId).toBe(id);

    // A raw request naming the session works; DELETE (the SDK's terminateSession) ends it; the same id then answers 404.
    const list = { jsonrpc: '2.0', id: 7, method: 'tools/list', params: {} };
    const headers = { ...ACCEPT, 'mcp-session-id': id, 'mcp-protocol-version': '2025-06-18' };
    expect((await fetch(stateful.url, { method: 'POST', headers, body: JSON.stringify(list) })).status).toBe(200);
    await first.transport.terminateSession();
    expect(first.transport.sessionId).toBeUndefined();
    const after = await fetch(stateful.url, { method: 'POST', headers, body: JSON.stringify(list) });
    expect(after.status).toBe(404);
    expect(await after.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32001 }, id: null });
    // The other session is untouched.
    expect(await second.client.callTool({ name: 'echo', arguments: { text: 'still here' } })).toMatchObject({
      content: [{ text: 'still here' }],
    });
    await Promise.all([first.client.close(), second.client.close()]);
  });

  it('stateful: one standalone GET stream per session; DELETE answers 200 and ends the session', async () => {
    const init = await fetch(stateful.url, { method: 'POST', headers: ACCEPT, body: JSON.stringify(INIT) });
    expect(init.status).toBe(200);
    const id = init.headers.get('mcp-session-id')!;
    await init.text();
    const session = { 'mcp-session-id': id, 'mcp-protocol-version': '2025-06-18' };
    const initialized = await fetch(stateful.url, {
      method: 'POST',
      headers: { ...ACCEPT, ...session },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });
    expect(initialized.status).toBe(202);
    const stream = new AbortController();
    const get = await fetch(stateful.url, {
      headers: { accept: 'text/event-stream', ...session },
      signal: stream.signal,
    });
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toBe('text/event-stream');
    const again = await fetch(stateful.url, { headers: { accept: 'text/event-stream', ...session } });
    expect(again.status).toBe(409);
    await again.text();
    stream.abort();
    const deleted = await fetch(stateful.url, { method: 'DELETE', headers: session });
    expect(deleted.status).toBe(200);
    await deleted.text();
    expect((await fetch(stateful.url, { headers: { accept: 'text/event-stream', ...session } })).status).toBe(404);
    expect((await fetch(stateful.url, { method: 'DELETE', headers: session })).status).toBe(404);
  });

  it('stateful: requests without a session id (other than initialize) are 400, unknown ids 404', async () => {
    const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
    expect((await fetch(stateful.url, { method: 'POST', headers: ACCEPT, body: list })).status).toBe(400);
    const unknown = await fetch(stateful.url, {
      method: 'POST',
      headers: { ...ACCEPT, 'mcp-session-id': 'no-such-session' },
      body: list,
    });
    expect(unknown.status).toBe(404);
  });

  it('refuses a Host outside MCP_ECHO_ALLOWED_HOSTS (DNS rebinding) and accepts the listed one', async () => {
    const refused = await loopbackFetch(`http://rebound.attacker.test:${stateful.port}/mcp`, {
      method: 'POST',
      headers: ACCEPT,
      body: JSON.stringify(INIT),
    });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain(
      'Invalid Host header: rebound.attacker.test',
    );
    const allowed = await loopbackFetch(`http://echo-stateful.example.test:${stateful.port}/mcp`, {
      method: 'POST',
      headers: ACCEPT,
      body: JSON.stringify(INIT),
    });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('mcp-session-id')).toBeTruthy();
    await allowed.body?.cancel();
  });

  it('exits with code 2 and one line for a bad MCP_ECHO_MODE', async () => {
    await expect(McpEchoProcess.start('sideways' as 'stateless')).rejects.toThrow(
      /exited with 2:\nmcp-echo: MCP_ECHO_MODE must be "stateless" or "stateful", not "sideways"\n$/,
    );
  });

  describe('through a plain (unprotected) proxy target of the built server', () => {
    let server: ServerProcess;
    let origin: (mode: string) => string;

    beforeAll(async () => {
      server = await ServerProcess.start();
      for (const [name, echo] of [
        ['echo-stateless', stateless],
        ['echo-stateful', stateful],
      ] as const) {
        const created = await server.api('POST', '/api/v1/proxy/targets', {
          body: { hostname: `${name}.example.test`, target_url: echo.baseUrl, enable_https: false },
        });
        expect(created.status).toBe(201);
      }
      origin = (mode) => `http://echo-${mode}.example.test:${server.httpPort}`;
    });
    afterAll(async () => {
      await server?.stop();
    });

    it.each(['stateless', 'stateful'])(
      '%s: echo, streamed progress, and client-sent X-Auth-* headers are stripped',
      async (mode) => {
        const { client, transport } = await connect(`${origin(mode)}/mcp`, { fetch: loopbackFetch, headers: IDENTITY });
        expect(transport.sessionId === undefined).toBe(mode === 'stateless');
        expect(await client.callTool({ name: 'echo', arguments: { text: 'through the proxy' } })).toMatchObject({
          content: [{ text: 'through the proxy' }],
        });
        expect(await countdown(client, 4)).toEqual([
          'progress 1/4',
          'progress 2/4',
          'progress 3/4',
          'progress 4/4',
          'result done after 4 steps',
        ]);
        // The proxy removes identity headers a client sends; only an auth policy may set them.
        expect((await client.callTool({ name: 'whoami', arguments: {} })).structuredContent).toMatchObject({
          user_id: null,
          user_name: null,
          headers: {},
        });
        await client.close();
      },
    );

    it('stateful: the session survives across proxied requests and DELETE through the proxy ends it', async () => {
      const { client, transport } = await connect(`${origin('stateful')}/mcp`, { fetch: loopbackFetch });
      const id = transport.sessionId!;
      expect(await client.callTool({ name: 'echo', arguments: { text: 'a' } })).toMatchObject({
        content: [{ text: 'a' }],
      });
      expect(await client.callTool({ name: 'echo', arguments: { text: 'b' } })).toMatchObject({
        content: [{ text: 'b' }],
      });
      await transport.terminateSession();
      const after = await loopbackFetch(`${origin('stateful')}/mcp`, {
        method: 'POST',
        headers: { ...ACCEPT, 'mcp-session-id': id, 'mcp-protocol-version': '2025-06-18' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list', params: {} }),
      });
      expect(after.status).toBe(404);
      await client.close();
    });
  });
});
