import * as http from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { publicRequest, type PublicRequestOptions } from '../support/loopback';
import { ServerProcess } from '../support/server-process';
import { quietPeriod, waitFor } from '../support/wait';

/** What the raw backend writes for one request: bytes, pauses (ms), or what to do with the socket. */
type Step = string | Buffer | number | 'end' | 'destroy';

interface ReceivedRequest {
  head: string;
  body: string;
  connection: number;
}

/**
 * A backend written on raw TCP, so each test controls the exact bytes of the answer (framing,
 * splits, pauses, malformed heads) and sees the exact bytes of the request and which connection
 * carried it.
 */
class RawBackend {
  readonly requests: ReceivedRequest[] = [];
  connections = 0;
  /** Numbers of the connections that have closed (either side). */
  readonly closed = new Set<number>();
  private readonly sockets = new Set<Socket>();
  private readonly closing = new AbortController();

  private constructor(
    private readonly server: Server,
    public answer: (request: ReceivedRequest) => Step[],
  ) {}

  static async start(answer: (request: ReceivedRequest) => Step[]): Promise<RawBackend> {
    const backend = new RawBackend(createServer(), answer);
    backend.server.on('connection', (socket) => backend.serve(socket));
    await new Promise<void>((resolve) => backend.server.listen(0, '127.0.0.1', resolve));
    return backend;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async close(): Promise<void> {
    this.closing.abort();
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private serve(socket: Socket): void {
    const connection = ++this.connections;
    this.sockets.add(socket);
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.closed.add(connection);
    });
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    let busy = false;
    const next = async (): Promise<void> => {
      if (busy) return;
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffered.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      const chunked = /\r\ntransfer-encoding: *chunked/i.test(head);
      let bodyEnd = end + 4 + length;
      let body = '';
      if (chunked) {
        const terminator = buffered.indexOf('\r\n0\r\n\r\n', end + 4 - 2);
        if (terminator < 0) return;
        bodyEnd = terminator + 7;
        body = decodeChunked(buffered.subarray(end + 4, bodyEnd).toString('latin1'));
      } else {
        if (buffered.length < bodyEnd) return;
        body = buffered.subarray(end + 4, bodyEnd).toString('latin1');
      }
      buffered = buffered.subarray(bodyEnd);
      const request = { head, body, connection };
      this.requests.push(request);
      busy = true;
      for (const step of this.answer(request)) {
        if (typeof step === 'number')
          await quietPeriod(step, 'the answer pauses here: what the test is about', {
            signal: this.closing.signal,
          }).catch(() => undefined);
        if (this.closing.signal.aborted) return;
        if (typeof step === 'number') continue;
        if (step === 'end') socket.end();
        else if (step === 'destroy') socket.destroy();
        else socket.write(step);
      }
      busy = false;
      await next();
    };
    socket.on('data', (data: Buffer) => {
      buffered = Buffer.concat([buffered, data]);
      void next();
    });
  }
}

function decodeChunked(text: string): string {
  let out = '';
  let rest = text;
  for (;;) {
    const line = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, line), 16);
    if (!size) return out;
    out += rest.slice(line + 2, line + 2 + size);
    rest = rest.slice(line + 4 + size);
  }
}

const ok = (body: string, extra = ''): string =>
  `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

/**
 * The HTTP/1.1 forwarding engine (our own upstream client, libs/dispatcher/src/http1) against a
 * backend that sends exact bytes: framings, splits, connection reuse, and malformed answers.
 */
describe('HTTP/1.1 forwarding engine', () => {
  let server: ServerProcess;
  let backend: RawBackend;
  let host = '';
  let targets = 0;

  beforeAll(async () => {
    server = await ServerProcess.start();
  });
  afterAll(async () => {
    await server.stop();
  });
  afterEach(async () => {
    await backend?.close();
  });

  /** A fresh backend and target for each test (so connection counts start at zero). */
  async function serve(
    answer: (request: ReceivedRequest) => Step[],
    target: Record<string, unknown> = {},
    basePath = '',
  ): Promise<void> {
    backend = await RawBackend.start(answer);
    host = `raw${++targets}.test`;
    const created = await server.api('POST', '/api/v1/proxy/targets', {
      body: { hostname: host, target_url: backend.url + basePath, ...target },
    });
    expect(created.status).toBe(201);
  }
  const request = (options: Partial<PublicRequestOptions> = {}) =>
    publicRequest({ port: server.httpPort, host, ...options });

  it('sends one request head with the path, query, the client headers and the proxy headers', async () => {
    await serve(() => [ok('fine')], {}, '/base/');
    const res = await request({ path: '/a/b?x=1&y=%20', headers: { 'x-custom': 'v1', cookie: 'a=1' } });
    expect([res.status, res.text]).toEqual([200, 'fine']);
    const [line, ...headers] = backend.requests[0].head.split('\r\n');
    expect(line).toBe('GET /base/a/b?x=1&y=%20 HTTP/1.1');
    const names = headers.map((h) => h.slice(0, h.indexOf(':')));
    expect(headers).toEqual(
      expect.arrayContaining([
        'x-custom: v1',
        'cookie: a=1',
        `host: ${host}`,
        'x-forwarded-for: 127.0.0.1',
        'x-forwarded-proto: http',
        `x-forwarded-host: ${host}`,
      ]),
    );
    expect(names).not.toContain('connection');
    expect(new Set(names).size).toBe(names.length);
  });

  it('keeps one connection for consecutive requests and passes the answer headers on', async () => {
    await serve(() => [ok('same', 'Keep-Alive: timeout=30\r\nX-Backend: b\r\nConnection: X-Hop\r\nX-Hop: secret\r\n')]);
    for (let i = 0; i < 3; i++) {
      const res = await request();
      expect([res.status, res.text, res.headers['x-backend'], res.headers['x-hop']]).toEqual([
        200,
        'same',
        'b',
        undefined,
      ]);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect([backend.requests.length, backend.connections]).toEqual([3, 1]);
  });

  it('decodes a chunked answer with extensions and trailers, delivered a few bytes at a time', async () => {
    const answer =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n6;ext=1\r\nhello \r\n5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\n';
    const pieces: Step[] = [];
    for (let i = 0; i < answer.length; i += 7) pieces.push(answer.slice(i, i + 7), 2);
    await serve(() => pieces);
    const first = await request();
    const second = await request();
    expect([first.status, first.text, first.headers['content-type'], second.text]).toEqual([
      200,
      'hello world',
      'text/plain',
      'hello world',
    ]);
    expect(backend.connections).toBe(1);
  });

  it('reads an answer without framing until the backend closes, then uses a new connection', async () => {
    await serve(() => ['HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil ', 20, 'close', 'end']);
    const first = await request();
    const second = await request();
    expect([first.status, first.text, second.text]).toEqual([200, 'until close', 'until close']);
    expect(backend.connections).toBe(2);
  });

  it('opens a new connection after Connection: close, and after bytes the backend sent unasked', async () => {
    await serve((r) =>
      r.connection === 1 ? [ok('closing', 'Connection: close\r\n'), 'end'] : [ok('next'), 30, 'garbage'],
    );
    expect((await request()).text).toBe('closing');
    expect((await request()).text).toBe('next');
    // The unasked bytes arrive on the idle connection, which the proxy then drops.
    await waitFor(
      'the proxy to drop connection 2 after its unasked bytes (value: closed connections)',
      () => backend.closed,
      (closed) => closed.has(2),
      { timeoutMs: 5000, intervalMs: 10 },
    );
    expect((await request()).text).toBe('next');
    expect(backend.connections).toBe(3);
  });

  it('reads no body for HEAD and keeps the connection', async () => {
    await serve((r) => (r.head.startsWith('HEAD') ? ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n'] : [ok('after')]));
    const head = await request({ method: 'HEAD' });
    expect([head.status, head.headers['content-length'], head.text]).toEqual([200, '5', '']);
    expect((await request()).text).toBe('after');
    expect(backend.connections).toBe(1);
  });

  it('skips informational answers', async () => {
    await serve(() => [
      'HTTP/1.1 100 Continue\r\n\r\n',
      'HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n',
      10,
      ok('final'),
    ]);
    const res = await request();
    expect([res.status, res.text]).toEqual([200, 'final']);
  });

  it('passes a many-chunk answer to a slow client whole, pausing the backend without piling up listeners', async () => {
    const chunk = `400\r\n${'c'.repeat(1024)}\r\n`;
    const body = chunk.repeat(2048); // 2 MiB in 1 KiB chunks, written in big slices
    await serve(() => [
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n',
      body.slice(0, body.length / 2),
      body.slice(body.length / 2),
      '0\r\n\r\n',
    ]);
    const received = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: server.httpPort, path: '/', headers: { host }, agent: false },
        (res) => {
          let length = 0;
          res.on('data', (c: Buffer) => {
            length += c.length;
            res.pause(); // a slow reader: the proxy's writes back up
            setTimeout(() => res.resume(), 1);
          });
          res.on('end', () => resolve(length));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(received).toBe(2048 * 1024);
    expect(server.logs).not.toContain('MaxListenersExceededWarning');
  });

  it('passes request bodies with Content-Length and chunked ones byte for byte', async () => {
    await serve((r) => [ok(`got ${r.body.length}`)]);
    const body = Buffer.alloc(300_000, 'b');
    const fixed = await request({ method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
    expect(fixed.text).toBe('got 300000');
    expect(backend.requests[0].body).toBe(body.toString('latin1'));
    const chunked = await request({ method: 'PUT', body: 'streamed', headers: { 'transfer-encoding': 'chunked' } });
    expect([chunked.status, chunked.text]).toEqual([200, 'got 8']);
  });

  it('answers 502 for a malformed answer and fails a truncated one, without reusing either connection', async () => {
    await serve((r) => {
      if (r.head.includes('/bad')) return ['HTTP/1.1 200 OK\r\nX-Bad: a\x01b\r\nContent-Length: 0\r\n\r\n'];
      if (r.head.includes('/short')) return ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc', 'destroy'];
      return [ok('fine')];
    });
    const bad = await request({ path: '/bad', headers: { accept: 'application/json' } });
    expect([bad.status, bad.json<{ message: string }>().message]).toEqual([
      502,
      'the backend closed the connection or sent an invalid response',
    ]);
    await expect(request({ path: '/short' })).rejects.toThrow();
    expect((await request()).text).toBe('fine');
    expect(backend.connections).toBe(3);
  });

  it('reads a response with both Transfer-Encoding and Content-Length as chunked and drops the connection', async () => {
    await serve(() => [
      'HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n',
    ]);
    expect((await request()).text).toBe('hi');
    expect((await request()).text).toBe('hi');
    expect(backend.connections).toBe(2);
  });

  it('fails with 504 when the backend stops sending for longer than read_timeout', async () => {
    await serve(
      (r) => (r.head.includes('/stall') ? ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc', 2500] : [2500]),
      { read_timeout: 1 },
    );
    const silent = await request({ path: '/silent' });
    expect([silent.status, silent.text]).toEqual([504, '504 Gateway Timeout: the backend did not answer in time\n']);
    await expect(request({ path: '/stall' })).rejects.toThrow();
  });
});
