import { connect } from 'node:net';
import { protectTarget, signedToken, startProtectedServer } from '../protection/protection-fixture';
import { GithubStandin } from '../support/github-standin';
import { Backend, publicRequest } from '../support/loopback';
import { loopbackFetch } from '../support/loopback-fetch';
import { freePort } from '../support/ports';
import { PromScrape } from '../support/prometheus';
import { ServerProcess } from '../support/server-process';
import { waitFor } from '../support/wait';

interface Row {
  request_id: string;
  client_ip: string;
  host: string;
  method: string;
  path: string;
  status: number;
  bytes_in?: number;
  bytes_out: number;
  upstream?: string;
  listener: string;
  error?: string;
}
interface McpRow extends Row {
  mcp_method?: string;
  mcp_name?: string;
  mcp_id?: string;
  mcp_batch?: number;
}
interface Page {
  total: number;
  entries: Row[];
}

const HOST = 'logs-a.test';
const DEAD = 'dead.test';
const MINE = 'mine.test';

/** One request over a fresh connection that starts with a PROXY v1 header naming `clientIp`. */
function viaProxyProtocol(port: number, clientIp: string, path: string, requestId: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('error', reject);
    socket.on('end', () => resolve(text));
    socket.once('connect', () =>
      socket.write(
        `PROXY TCP4 ${clientIp} 10.0.0.1 40000 80\r\nGET ${path} HTTP/1.1\r\nHost: ${HOST}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n`,
      ),
    );
  });
}

/**
 * Real proxied traffic through the public listeners lands in the request log and the metrics:
 * 2xx/4xx/5xx from a backend, a refused backend (502, counted as an upstream connect error), an
 * unknown host, a PROXY-protocol client with a known address, HTTPS; each query returns exactly
 * those rows, and the counters match.
 */
/** The backend's answer status: /missing... is 404, /boom... is 500, anything else 200. */
function statusFor(url: string | undefined): number {
  if (url?.startsWith('/missing')) return 404;
  if (url?.startsWith('/boom')) return 500;
  return 200;
}

describe('request log and metrics of proxied traffic', () => {
  let server: ServerProcess;
  let backend: Backend;
  let alice = '';
  const seenIds: string[] = [];

  const logs = async (query: string, token = server.adminToken): Promise<{ status: number; body: Page }> =>
    server.api<Page>('GET', `/api/v1/logs${query}`, { token });
  /** Waits until the query returns `count` rows (the writer flushes every 100 ms). */
  async function rowsOf(query: string, count: number, token?: string): Promise<Row[]> {
    const page = await waitFor(
      `${count} log rows for ${query}`,
      () => logs(query, token),
      (res) => res.status === 200 && res.body.entries.length >= count,
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    return page.body.entries;
  }
  const ids = (rows: Row[]) => rows.map((r) => r.request_id).sort();

  beforeAll(async () => {
    backend = await Backend.start((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = statusFor(req.url);
        res.writeHead(status, {
          'content-type': 'text/plain',
          'x-seen-request-id': String(req.headers['x-request-id']),
        });
        res.end(`answer ${status}`); // 10 bytes
      });
    });
    server = await ServerProcess.start({ env: { PROXY_PROTOCOL_TRUSTED_CIDRS: '127.0.0.1/32' } });
    const refused = await freePort(); // nothing listens there
    for (const [hostname, target_url] of [
      [HOST, backend.url],
      [DEAD, `http://127.0.0.1:${refused}`],
    ]) {
      expect((await server.api('POST', '/api/v1/proxy/targets', { body: { hostname, target_url } })).status).toBe(201);
    }
    const created = await server.api<{ token: string }>('POST', '/api/v1/tokens', { body: { name: 'alice' } });
    alice = created.body.token;
    expect(
      (
        await server.api('POST', '/api/v1/proxy/targets', {
          token: alice,
          body: { hostname: MINE, target_url: backend.url },
        })
      ).status,
    ).toBe(201);
  });
  afterAll(async () => {
    await Promise.all([server?.stop(), backend?.close()]);
  });

  it('records every proxied request with its listener, client, status, bytes and upstream', async () => {
    const ok = await publicRequest({
      port: server.httpPort,
      host: HOST,
      path: '/ok?code=secret',
      headers: { 'x-request-id': 'req-ok-1' },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers['x-request-id']).toBe('req-ok-1');
    expect(ok.headers['x-seen-request-id']).toBe('req-ok-1'); // the backend got it too
    const missing = await publicRequest({
      port: server.httpPort,
      host: HOST,
      path: '/missing',
      headers: { 'x-request-id': 'req-404' },
    });
    expect(missing.status).toBe(404);
    const boom = await publicRequest({
      port: server.httpPort,
      host: HOST,
      path: '/boom',
      method: 'POST',
      body: 'abc',
      headers: { 'x-request-id': 'req-500', 'content-type': 'text/plain' },
    });
    expect(boom.status).toBe(500);
    const secure = await publicRequest({
      port: server.httpsPort,
      host: HOST,
      path: '/tls',
      tls: true,
      headers: { 'x-request-id': 'req-tls' },
    });
    expect(secure.status).toBe(200);
    const refused = await publicRequest({
      port: server.httpPort,
      host: DEAD,
      path: '/x',
      headers: { 'x-request-id': 'req-502' },
    });
    expect(refused.status).toBe(502);
    expect(refused.headers['x-request-id']).toBe('req-502');
    const unknown = await publicRequest({
      port: server.httpPort,
      host: 'nobody.test',
      path: '/',
      headers: { 'x-request-id': 'req-unknown' },
    });
    expect(unknown.status).toBe(404);
    const pp = await viaProxyProtocol(server.proxyProtocolPort, '198.51.100.77', '/pp', 'req-pp');
    expect(pp).toMatch(/^HTTP\/1\.1 200 /);
    // A generated id when the client sends none (or a silly one).
    const generated = await publicRequest({
      port: server.httpPort,
      host: HOST,
      path: '/gen',
      headers: { 'x-request-id': 'bad id with spaces' },
    });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    seenIds.push(String(generated.headers['x-request-id']));

    const rows = await rowsOf(`?hostname=${HOST}`, 6);
    expect(ids(rows)).toEqual(['req-404', 'req-500', 'req-ok-1', 'req-pp', 'req-tls', seenIds[0]].sort());
    const byId = new Map(rows.map((r) => [r.request_id, r]));
    expect(byId.get('req-ok-1')).toMatchObject({
      host: HOST,
      method: 'GET',
      path: '/ok',
      status: 200,
      bytes_out: 10,
      upstream: `${backend.url}/`,
      listener: 'http',
      client_ip: '127.0.0.1',
    });
    expect(byId.get('req-500')).toMatchObject({
      method: 'POST',
      path: '/boom',
      status: 500,
      bytes_in: 3,
      bytes_out: 10,
    });
    expect(byId.get('req-tls')).toMatchObject({ listener: 'https', status: 200 });
    expect(byId.get('req-pp')).toMatchObject({ listener: 'proxy-protocol', client_ip: '198.51.100.77', status: 200 });

    expect(ids(await rowsOf('?ip=198.51.100.77', 1))).toEqual(['req-pp']);
    expect(ids(await rowsOf('?listener=proxy-protocol', 1))).toEqual(['req-pp']);
    const dead = await rowsOf(`?hostname=${DEAD}`, 1);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ request_id: 'req-502', status: 502 });
    expect(dead[0].error).toMatch(/^upstream connect ECONNREFUSED/);
    const errors = await rowsOf('?hostname=logs-a.test&status=5xx', 1);
    expect(ids(errors)).toEqual(['req-500']);
    expect(ids(await rowsOf('?hostname=nobody.test', 1))).toEqual(['req-unknown']);
  });

  it('counts the same requests in /metrics, with the matched target as host label', async () => {
    const scrape = new PromScrape(await (await fetch(`${server.apiUrl}/metrics`)).text());
    const requests = (listener: string, host: string, status_class: string) =>
      scrape.value('proxy_requests_total', { listener, host, status_class });
    expect(requests('http', HOST, '2xx')).toBe(2); // /ok and /gen
    expect(requests('http', HOST, '4xx')).toBe(1);
    expect(requests('http', HOST, '5xx')).toBe(1);
    expect(requests('https', HOST, '2xx')).toBe(1);
    expect(requests('proxy-protocol', HOST, '2xx')).toBe(1);
    expect(requests('http', DEAD, '5xx')).toBe(1);
    expect(requests('http', '-', '4xx')).toBe(1); // the unknown host, never its raw name
    expect(scrape.text).not.toContain('nobody.test');
    expect(scrape.value('proxy_upstream_errors_total', { host: DEAD, kind: 'connect' })).toBe(1);
    // (the parser folds labelled histograms together, so the count is read from the text)
    expect(scrape.text).toContain(`proxy_request_duration_seconds_count{listener="http",host="${HOST}"} 4`);
    expect(scrape.value('proxy_active_streams', { listener: 'http' })).toBe(0);
  });

  it('shows a non-admin token the entries of its own hosts only', async () => {
    const mine = await publicRequest({
      port: server.httpPort,
      host: MINE,
      path: '/alice',
      headers: { 'x-request-id': 'req-alice' },
    });
    expect(mine.status).toBe(200);
    expect(ids(await rowsOf('', 1, alice))).toEqual(['req-alice']);
    expect((await logs(`?hostname=${HOST}`, alice)).status).toBe(403);
  });
});

const MCP_HOST = 'mcp-logs.test';

/**
 * Requests the proxy read as JSON-RPC (authenticated POSTs to a protected MCP endpoint) carry
 * their first message's method, name and id, and the batch size, and are found by
 * `mcp_method` / `mcp_name`; other entries carry none of these.
 */
describe('request log of inspected MCP requests', () => {
  let github: GithubStandin;
  let server: ServerProcess & { issuer: string };
  let backend: Backend;
  let token = '';

  const logs = (query: string) => server.api<{ total: number; entries: McpRow[] }>('GET', `/api/v1/logs${query}`);
  const mcpPost = (body: unknown, id: string, headers: Record<string, string> = {}) =>
    publicRequest({
      port: server.httpPort,
      host: MCP_HOST,
      path: '/mcp',
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'x-request-id': id,
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startProtectedServer(github);
    backend = await Backend.start((req, res) => {
      req.resume();
      req.on('end', () => res.end('{}'));
    });
    await protectTarget(
      server,
      MCP_HOST,
      backend.url,
      { mode: 'forward', required_users: ['alice'] },
      { endpoint: '/mcp' },
    );
    const jwks = (await (await loopbackFetch(`${server.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
    token = signedToken(server.issuer, { aud: `http://${MCP_HOST}:${server.httpPort}/mcp` }, jwks.keys[0].kid);
  });
  afterAll(async () => {
    await Promise.all([server?.stop(), backend?.close(), github?.stop()]);
  });

  it('records method, name, id and batch size, and filters by mcp_method and mcp_name', async () => {
    const call = (id: number, name: string) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name } });
    expect((await mcpPost(call(1, 'echo'), 'mcp-echo')).status).toBe(200);
    expect((await mcpPost(call(2, 'whoami'), 'mcp-whoami')).status).toBe(200);
    expect((await mcpPost([call(3, 'echo'), call(4, 'rm')], 'mcp-batch')).status).toBe(200);
    expect((await mcpPost({ jsonrpc: '2.0', id: 'l', method: 'tools/list' }, 'mcp-list')).status).toBe(200);
    const mismatch = await mcpPost(call(5, 'echo'), 'mcp-mismatch', { 'mcp-method': 'tools/list' });
    expect(mismatch.status).toBe(400);
    expect((await mcpPost('{"nope', 'mcp-unparsable')).status).toBe(400);

    const page = await waitFor(
      'the six MCP requests in the log',
      () => logs(`?hostname=${MCP_HOST}`),
      (res) => res.status === 200 && res.body.entries.length >= 6,
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    const byId = new Map(page.body.entries.map((e) => [e.request_id, e]));
    const mcpOf = (id: string) => {
      const e = byId.get(id);
      return e && [e.status, e.mcp_method, e.mcp_name, e.mcp_id, e.mcp_batch];
    };
    expect(mcpOf('mcp-echo')).toEqual([200, 'tools/call', 'echo', '1', undefined]);
    expect(mcpOf('mcp-batch')).toEqual([200, 'tools/call', 'echo', '3', 2]);
    expect(mcpOf('mcp-list')).toEqual([200, 'tools/list', undefined, 'l', undefined]);
    // A refused request is logged with what it said, so the refusal can be found by method.
    expect(mcpOf('mcp-mismatch')).toEqual([400, 'tools/call', 'echo', '5', undefined]);
    expect(mcpOf('mcp-unparsable')).toEqual([400, undefined, undefined, undefined, undefined]);

    const ids = async (query: string) => {
      const res = await logs(query);
      expect(res.status).toBe(200);
      return res.body.entries.map((e) => e.request_id).sort();
    };
    expect(await ids('?mcp_method=tools/call')).toEqual(['mcp-batch', 'mcp-echo', 'mcp-mismatch', 'mcp-whoami']);
    expect(await ids('?mcp_method=tools/call&mcp_name=echo')).toEqual(['mcp-batch', 'mcp-echo', 'mcp-mismatch']);
    expect(await ids('?mcp_name=whoami')).toEqual(['mcp-whoami']);
    expect(await ids('?mcp_method=tools/call&status=400')).toEqual(['mcp-mismatch']);

    const bad = await logs('?mcp_method=tools%20call');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('mcp_method must be a JSON-RPC method');
    expect((await logs(`?mcp_name=${'x'.repeat(513)}`)).status).toBe(400);
  });
});
