import * as http from 'node:http';
import { Readable } from 'node:stream';

/**
 * A `fetch` for made-up hostnames (mcp.example.test, auth.example.test): every http URL is sent to
 * 127.0.0.1 on the URL's port with the URL's host as the Host header, so clients such as the MCP
 * SDK talk to the proxy's public listener exactly as they would through DNS. Streams the response
 * (SSE works). http only; redirects are returned, not followed (redirect: 'manual' semantics).
 */
export const loopbackFetch: typeof fetch = async (input, init) => {
  const request = new Request(input, init);
  const url = new URL(request.url);
  if (url.protocol !== 'http:') throw new Error(`loopbackFetch: only http URLs (${url.href})`);
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => (headers[name] = value));
  headers.host = url.host;
  const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
  if (body) headers['content-length'] = String(body.length);
  return new Promise<Response>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: Number(url.port || 80),
        method: request.method,
        path: `${url.pathname}${url.search}`,
        headers,
      },
      (res) => {
        const out = new Headers();
        for (let i = 0; i < res.rawHeaders.length; i += 2) out.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
        const status = res.statusCode ?? 502;
        const nullBody = status === 204 || status === 304 || request.method === 'HEAD';
        if (nullBody) res.resume();
        const response = new Response(nullBody ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
          status,
          statusText: res.statusMessage,
          headers: out,
        });
        Object.defineProperty(response, 'url', { value: url.href });
        resolve(response);
      },
    );
    req.on('error', reject);
    request.signal?.addEventListener('abort', () => req.destroy(new Error('aborted')));
    req.end(body);
  });
};
