// The benchmark backend, in its own process: small GET, 1 MiB streamed, idle SSE streams with a
// broadcast trigger, WebSocket echo. Prints its port on stdout when ready.
import * as http from 'node:http';
import { WebSocketServer } from 'ws';

const SMALL = Buffer.from('hello, world\n');
const CHUNK = Buffer.alloc(64 * 1024, 'x');
const sse = new Set();
const MCP_RESULT = Buffer.from('{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"hi"}]}}');

const server = http.createServer((req, res) => {
  const path = req.url.split('?')[0];
  if (path === '/small') {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': SMALL.length });
    return res.end(SMALL);
  }
  if (path === '/1mib') {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': 16 * CHUNK.length });
    let sent = 0;
    const more = () => {
      while (sent < 16) {
        sent++;
        if (sent === 16) return res.end(CHUNK);
        if (!res.write(CHUNK)) return res.once('drain', more);
      }
    };
    return more();
  }
  if (path === '/sse') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(': open\n\n');
    sse.add(res);
    res.on('close', () => sse.delete(res));
    return;
  }
  if (path === '/sse-count') return res.end(String(sse.size));
  if (path === '/mcp' && req.method === 'POST') {
    // A JSON-RPC answer to any call (the mcp-policy row): what a small tools/call result costs.
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': MCP_RESULT.length });
      res.end(MCP_RESULT);
    });
    return;
  }
  if (path === '/broadcast') {
    // data = the backend's clock (ms since the time origin, sub-ms), so clients measure delivery time.
    const at = performance.timeOrigin + performance.now();
    for (const s of sse) s.write(`data: ${at}\n\n`);
    return res.end(String(sse.size));
  }
  res.writeHead(404).end();
});
server.keepAliveTimeout = 65_000;
new WebSocketServer({ server }).on('connection', (ws) => ws.on('message', (data, binary) => ws.send(data, { binary })));
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => console.log(server.address().port));
