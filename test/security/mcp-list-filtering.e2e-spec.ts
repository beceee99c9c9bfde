import { AppConfig, parseEnvironment } from '@app/config';
import type { Exchange, McpListFilters } from '@app/dispatcher';
import { ForwardingEngines } from '@app/dispatcher/forwarding-engines';
import { Http1ForwardingEngine } from '@app/dispatcher/http1-forwarding-engine';
import { NodeHttpForwardingEngine } from '@app/dispatcher/node-forwarding-engine';
import { UndiciForwardingEngine } from '@app/dispatcher/undici-forwarding-engine';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { Backend } from '../support/loopback';
import { waitFor } from '../support/wait';

const ENGINES = ['http1', 'undici', 'node'] as const;
const MAX_BYTES = 4096;

const tools = (names: string[]) => names.map((name) => ({ name, inputSchema: { type: 'object' } }));
const toolsAnswer = (id: number | string, names: string[]) =>
  JSON.stringify({ jsonrpc: '2.0', id, result: { tools: tools(names), nextCursor: 'n' } });
const progress = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/progress', params: { progress: 1 } });

/** The caller may see the tools whose name starts with "read" (request id 1, tools/list). */
const lists = (): McpListFilters => ({
  byId: new Map([['1', { method: 'tools/list', keep: (name: string) => name.startsWith('read') }]]),
});

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * The forwarding engines with the list filters of an MCP policy (issue 18, item 5), driven at the
 * engine level: a front server on loopback hands each request to the real ForwardingEngines (one
 * per FORWARDING_ENGINE) with `mcpLists`, as the dispatcher does for an inspected request of a
 * caller whose policy can hide items; real backends on loopback answer in JSON and SSE. The
 * end-to-end path through a stored policy is tested where the policy reaches the dispatcher.
 */
describe.each(ENGINES)('list filtering on backend answers (FORWARDING_ENGINE=%s)', (engine) => {
  const gates = new Map<string, ReturnType<typeof gate>>();
  const exchanges: Exchange[] = [];
  const backendHeaders: http.IncomingHttpHeaders[] = [];
  let backend: Backend;
  let front: http.Server;
  let engines: ForwardingEngines;
  let parts: [Http1ForwardingEngine, UndiciForwardingEngine, NodeHttpForwardingEngine];
  /** Whether the next request carries list filters. */
  let filtering = true;

  const backendHandler: http.RequestListener = (req, res) => {
    backendHeaders.push(req.headers);
    const path = req.url ?? '/';
    const json = (body: string | Buffer, headers: http.OutgoingHttpHeaders = {}) => {
      res.writeHead(200, { 'content-type': 'application/json', etag: '"v1"', ...headers });
      res.end(body);
    };
    switch (path) {
      case '/json':
        return json(toolsAnswer(1, ['read-a', 'write-b', 'read-c']));
      case '/json-batch':
        return json(
          JSON.stringify([
            { jsonrpc: '2.0', id: 2, error: { code: -32601, message: 'Method not found' } },
            JSON.parse(toolsAnswer(1, ['write-b', 'read-c'])) as unknown,
          ]),
        );
      case '/json-gzip':
        return json(gzipSync(toolsAnswer(1, ['read-a', 'write-b'])), { 'content-encoding': 'gzip' });
      case '/json-broken':
        return json('{"jsonrpc":"2.0","id":1,"result":{"tools":[');
      case '/json-large':
        return json(
          toolsAnswer(
            1,
            Array.from({ length: 200 }, (_, i) => `read-${i}`),
          ),
        );
      case '/text':
        res.writeHead(200, { 'content-type': 'text/plain' });
        return void res.end('tools: read-a, write-b');
      case '/not-found':
        res.writeHead(404, { 'content-type': 'text/plain' });
        return void res.end('Session not found');
      case '/sse': {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.write(`: stream open\r\n\r\nid: 1\r\ndata: ${progress}\r\n\r\n`);
        const answer = `event: message\r\ndata: ${toolsAnswer(1, ['read-a', 'write-b'])}\r\n\r\n`;
        // Event 2 only once the client has event 1: the proxy streams, it does not wait for the end.
        void gates.get('sse')!.promise.then(() => {
          res.write(answer.slice(0, 30));
          res.end(answer.slice(30));
        });
        return;
      }
      case '/sse-unparsable':
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        return void res.end(`data: {"jsonrpc": "2.0", broken\n\ndata: ${toolsAnswer(1, ['write-b', 'read-c'])}\n\n`);
      case '/sse-large':
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`data: ${progress}\n\n`);
        return void res.end(
          `data: ${toolsAnswer(
            1,
            Array.from({ length: 200 }, (_, i) => `read-${i}`),
          )}\n\n`,
        );
      default:
        res.writeHead(500);
        res.end();
    }
  };

  beforeAll(async () => {
    backend = await Backend.start(backendHandler);
    const config = new AppConfig(
      parseEnvironment({
        ADMIN_TOKEN: 'acm_0123456789abcdef0123',
        FORWARDING_ENGINE: engine,
        MCP_LIST_ANSWER_MAX_BYTES: String(MAX_BYTES),
      }),
    );
    parts = [new Http1ForwardingEngine(), new UndiciForwardingEngine(), new NodeHttpForwardingEngine()];
    engines = new ForwardingEngines(config, ...parts);
    front = http.createServer((req, res) => {
      const exchange = {
        requestId: `req-${exchanges.length}`,
        listener: 'http',
        clientIp: '127.0.0.1',
        secure: false,
        ts: Date.now(),
        startedAt: performance.now(),
        targetHost: 'mcp.test',
        bytesIn: 0,
        bytesOut: 0,
        mcp: { method: 'tools/list', id: '1' },
      } satisfies Exchange;
      exchanges.push(exchange);
      engines.forward(req, res, {
        url: new URL(backend.url),
        headers: { host: 'mcp.test', 'accept-encoding': 'gzip, br' },
        connectTimeoutMs: 5000,
        readTimeoutMs: 10_000,
        body: Buffer.alloc(0),
        mcpLists: filtering ? lists() : undefined,
        exchange,
      });
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => front.close(() => resolve()));
    parts[0].onApplicationShutdown();
    await parts[1].onApplicationShutdown();
    parts[2].onApplicationShutdown();
    await backend.close();
  });

  beforeEach(() => {
    filtering = true;
    exchanges.length = 0;
    backendHeaders.length = 0;
  });

  /** A request through the front; `onData` sees the body as it arrives. */
  function get(path: string, onData?: (soFar: string) => void): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const port = (front.address() as AddressInfo).port;
      const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (text: string) => {
          body += text;
          onData?.(body);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      });
      req.on('error', reject);
    });
  }

  const rpcError = (answer: Answer) => (JSON.parse(answer.body) as { error: { code: number; message: string } }).error;

  it('filters a JSON answer, with a correct Content-Length, and asks the backend for an uncompressed answer', async () => {
    const answer = await get('/json');
    expect(answer.status).toBe(200);
    expect(answer.body).toBe(toolsAnswer(1, ['read-a', 'read-c']));
    expect(answer.headers['content-length']).toBe(String(Buffer.byteLength(answer.body)));
    expect(answer.headers.etag).toBeUndefined(); // it described the backend's bytes
    expect(answer.headers['x-request-id']).toBe('req-0');
    expect(backendHeaders[0]['accept-encoding']).toBe('identity');
    expect(exchanges[0].mcp?.errorCode).toBeUndefined();
  });

  it('filters the matching response of a batch and notes the first JSON-RPC error code', async () => {
    const answer = await get('/json-batch');
    expect(JSON.parse(answer.body)).toEqual([
      { jsonrpc: '2.0', id: 2, error: { code: -32601, message: 'Method not found' } },
      JSON.parse(toolsAnswer(1, ['read-c'])),
    ]);
    expect(exchanges[0].mcp?.errorCode).toBe(-32601);
  });

  it('streams an event stream event by event, filtering the list answer (CRLF, split writes)', async () => {
    gates.set('sse', gate());
    const answer = await get('/sse', (soFar) => {
      if (soFar.includes('notifications/progress')) gates.get('sse')!.open();
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/event-stream');
    expect(answer.body).toBe(
      `: stream open\r\n\r\nid: 1\r\ndata: ${progress}\r\n\r\nevent: message\ndata: ${toolsAnswer(1, ['read-a'])}\n\n`,
    );
  });

  it('drops an event it cannot parse and logs it, and goes on with the stream', async () => {
    const answer = await get('/sse-unparsable');
    expect(answer.body).toBe(`data: ${toolsAnswer(1, ['read-c'])}\n\n`);
    expect(exchanges[0].error).toMatch(/^mcp list filter: an event whose data is not JSON was dropped/);
  });

  it('ends the stream at an event over MCP_LIST_ANSWER_MAX_BYTES (nothing of it passes)', async () => {
    const answer = await get('/sse-large');
    expect(answer.body).toBe(`data: ${progress}\n\n`);
    expect(exchanges[0].error).toMatch(`larger than ${MAX_BYTES} bytes (MCP_LIST_ANSWER_MAX_BYTES)`);
  });

  it.each([
    ['/json-gzip', /compressed \(content-encoding: gzip\)/],
    ['/json-broken', /not JSON/],
    ['/json-large', new RegExp(`larger than ${MAX_BYTES} bytes`)],
    ['/text', /text\/plain, not JSON or an event stream/],
  ])('fails closed on %s: 502 with a JSON-RPC error, logged', async (path, reason) => {
    const answer = await get(path);
    expect(answer.status).toBe(502);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(rpcError(answer).code).toBe(-32603);
    expect(rpcError(answer).message).toMatch(reason);
    expect(exchanges[0].error).toMatch(reason);
    expect(exchanges[0].mcp?.errorCode).toBe(-32603);
  });

  it('passes an error page that is not JSON (a 404 in text) as it is', async () => {
    const answer = await get('/not-found');
    expect(answer).toMatchObject({ status: 404, body: 'Session not found' });
  });

  it('changes nothing without list filters: no identity asked, nothing parsed or dropped', async () => {
    filtering = false;
    expect((await get('/json')).body).toBe(toolsAnswer(1, ['read-a', 'write-b', 'read-c']));
    expect(backendHeaders[0]['accept-encoding']).toBe('gzip, br');
    const unparsable = await get('/sse-unparsable');
    expect(unparsable.body).toBe(
      `data: {"jsonrpc": "2.0", broken\n\ndata: ${toolsAnswer(1, ['write-b', 'read-c'])}\n\n`,
    );
    expect(exchanges.map((e) => e.error)).toEqual([undefined, undefined]);
  });

  it('leaves the connection usable: filtered answers in a row on kept-alive backend connections', async () => {
    const answers = await Promise.all([get('/json'), get('/json-batch'), get('/json')]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    await waitFor(
      'the three exchanges to end',
      () => exchanges.length,
      (n) => n === 3,
    );
  });
});
