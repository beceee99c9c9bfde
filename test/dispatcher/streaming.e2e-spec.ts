import { createHash, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import { Backend } from '../support/loopback';
import { waitFor } from '../support/wait';
import { ServerProcess } from '../support/server-process';

const HALF = 16 * 1024 * 1024;

/** A promise with its resolver, used to make the backend wait for the client (and the other way round). */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<T>(
      (_, reject) =>
        (timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms (buffered by the proxy?)`)), ms)),
    ),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Streaming through the proxy: each test is built so it can only pass when bytes flow through
 * without being held back (the backend waits for the client, or the client for the backend).
 */
describe('streaming, WebSocket and aborts through the proxy', () => {
  let server: ServerProcess;
  let backend: Backend;
  let wss: WebSocketServer;
  const downloadGate = { current: gate() };
  const sseGate = { current: gate() };
  const closed: string[] = [];

  beforeAll(async () => {
    backend = await Backend.start((req, res) => {
      switch (req.url) {
        case '/upload': {
          // Answer as soon as the body starts; the digest comes when it ends.
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.flushHeaders();
          const hash = createHash('sha256');
          let bytes = 0;
          req.on('data', (c: Buffer) => {
            hash.update(c);
            bytes += c.length;
          });
          req.on('end', () => res.end(`${bytes} ${hash.digest('hex')}`));
          return;
        }
        case '/download': {
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          const first = Buffer.alloc(HALF, 1);
          const second = Buffer.alloc(HALF, 2);
          res.write(first);
          void downloadGate.current.promise.then(() => res.end(second));
          return;
        }
        case '/events': {
          res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
          res.write('data: one\n\n');
          void sseGate.current.promise.then(() => res.end('data: two\n\n'));
          return;
        }
        case '/hang-after-headers':
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('started\n');
          res.on('close', () => closed.push('after-headers'));
          return;
        case '/hang-before-headers':
          closed.push('received');
          req.on('close', () => closed.push('before-headers'));
          return;
        case undefined:
        default:
          res.writeHead(404).end();
      }
    });
    wss = new WebSocketServer({ server: backend.server });
    wss.on('connection', (socket, req) => {
      socket.send(
        JSON.stringify({
          xff: req.headers['x-forwarded-for'],
          auth: req.headers['x-auth-user'] ?? null,
          path: req.url,
        }),
      );
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    });
    server = await ServerProcess.start();
    await server.api('POST', '/api/v1/proxy/targets', { body: { hostname: 'stream.test', target_url: backend.url } });
  });
  afterAll(async () => {
    wss.close();
    await Promise.all([server.stop(), backend.close()]);
  });

  function open(
    path: string,
    method = 'GET',
    port = server.httpPort,
  ): { req: http.ClientRequest; response: Promise<http.IncomingMessage> } {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers: { host: 'stream.test' }, agent: false });
    const response = new Promise<http.IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', reject);
    });
    return { req, response };
  }

  it('streams a large request body: the backend answers before the client has sent the second half', async () => {
    const { req, response } = open('/upload', 'POST');
    const first = randomBytes(HALF);
    const second = randomBytes(HALF);
    req.write(first);
    const res = await within(response, 10_000, 'response headers while the upload is still open');
    req.end(second);
    let body = '';
    for await (const chunk of res) body += String(chunk);
    expect(body).toBe(`${2 * HALF} ${createHash('sha256').update(first).update(second).digest('hex')}`);
  });

  it('streams a large response body: the client gets the first half before the backend sends the second', async () => {
    downloadGate.current = gate();
    const { req, response } = open('/download');
    req.end();
    const res = await within(response, 10_000, 'response headers');
    const hash = createHash('sha256');
    let received = 0;
    const firstHalf = new Promise<void>((resolve) => {
      res.on('data', (c: Buffer) => {
        hash.update(c);
        received += c.length;
        if (received >= HALF) resolve();
      });
    });
    await within(firstHalf, 10_000, 'first half of the body');
    downloadGate.current.open();
    await new Promise((resolve) => res.on('end', resolve));
    expect(received).toBe(2 * HALF);
    expect(hash.digest('hex')).toBe(
      createHash('sha256').update(Buffer.alloc(HALF, 1)).update(Buffer.alloc(HALF, 2)).digest('hex'),
    );
  });

  it('delivers each server-sent event before the backend sends the next one', async () => {
    sseGate.current = gate();
    const { req, response } = open('/events');
    req.end();
    const res = await within(response, 10_000, 'SSE headers');
    expect(res.headers['content-type']).toBe('text/event-stream');
    const events: string[] = [];
    let buffer = '';
    const gotFirst = new Promise<void>((resolve) => {
      res.on('data', (c: Buffer) => {
        buffer += c.toString();
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          events.push(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (events.length === 1) resolve();
        }
      });
    });
    await within(gotFirst, 10_000, 'the first event');
    expect(events).toEqual(['data: one']);
    sseGate.current.open();
    await new Promise((resolve) => res.on('end', resolve));
    expect(events).toEqual(['data: one', 'data: two']);
  });

  async function echoOver(
    url: string,
    options: { servername?: string },
  ): Promise<{ hello: unknown; echoes: string[] }> {
    const ws = new WebSocket(url, {
      headers: { host: 'stream.test', 'x-auth-user': 'spoofed', 'x-forwarded-for': '6.6.6.6' },
      rejectUnauthorized: false,
      ...options,
    });
    const messages: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      ws.on('message', (data) => {
        messages.push(String(data));
        if (messages.length === 1) ws.send('ping 1');
        if (messages.length === 2) ws.send(Buffer.alloc(200_000, 7));
        if (messages.length === 3) resolve();
      });
      ws.on('error', reject);
    });
    await within(done, 10_000, 'WebSocket echo');
    ws.close();
    return { hello: JSON.parse(messages[0]), echoes: [messages[1], String(messages[2].length)] };
  }

  it('proxies WebSocket upgrades both ways over HTTP and HTTPS, without client identity headers', async () => {
    expect(await echoOver(`ws://127.0.0.1:${server.httpPort}/socket`, {})).toEqual({
      hello: { xff: '127.0.0.1', auth: null, path: '/socket' },
      echoes: ['ping 1', '200000'],
    });
    expect(await echoOver(`wss://127.0.0.1:${server.httpsPort}/secure-socket`, { servername: 'stream.test' })).toEqual({
      hello: { xff: '127.0.0.1', auth: null, path: '/secure-socket' },
      echoes: ['ping 1', '200000'],
    });
  });

  it('aborts the backend request when the client goes away, before or after the response started', async () => {
    const started = open('/hang-after-headers');
    started.req.end();
    const res = await within(started.response, 10_000, 'response headers');
    await new Promise((resolve) => res.once('data', resolve));
    res.on('error', () => undefined); // the client's own side of the abort
    started.req.destroy();
    await waitFor(
      'the backend to see the request closed after the headers (value: what the backend saw)',
      () => closed,
      (seen) => seen.includes('after-headers'),
      { timeoutMs: 5000 },
    );

    const waiting = open('/hang-before-headers');
    waiting.response.catch(() => undefined); // rejected by our own abort
    waiting.req.end();
    // Wait until the backend holds the request, then leave.
    await waitFor(
      'the backend to hold the request (value: what the backend saw)',
      () => closed,
      (seen) => seen.includes('received'),
      { timeoutMs: 5000 },
    );
    waiting.req.destroy();
    await waitFor(
      'the backend to see the request closed before the headers (value: what the backend saw)',
      () => closed,
      (seen) => seen.includes('before-headers'),
      { timeoutMs: 5000 },
    );
  });

  it('answers an upgrade for an unknown host with 404 on the socket', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.httpPort}/`, { headers: { host: 'nobody.test' } });
    const status = await new Promise<number>((resolve) =>
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    expect(status).toBe(404);
  });
});
