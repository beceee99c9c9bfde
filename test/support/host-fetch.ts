import * as http from 'node:http';
import { Readable } from 'node:stream';

/**
 * A `fetch` for clients that take one (the MCP SDK transports and its OAuth helper): every request
 * goes to 127.0.0.1:<port> (the proxy's HTTP listener) with the URL's host in the Host header, so a
 * client can use real-looking URLs such as `http://echo.example.test/mcp` without DNS. Response
 * bodies are streamed (SSE events arrive as they are written).
 */
export function hostFetch(port: number | ((url: URL) => number)): typeof fetch {
  return (async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const request = input instanceof Request ? input : undefined;
    const url = new URL(request ? request.url : String(input));
    const headers = new Headers(request?.headers);
    new Headers(init.headers).forEach((value, name) => headers.set(name, value));
    const method = (init.method ?? request?.method ?? 'GET').toUpperCase();
    let body: Buffer | undefined;
    const raw = init.body ?? (request && request.body ? await request.arrayBuffer() : undefined);
    if (raw !== undefined && raw !== null) body = Buffer.from(await new Response(raw as BodyInit).arrayBuffer());
    const outgoing: Record<string, string> = { host: url.host };
    headers.forEach((value, name) => (outgoing[name] = value));
    if (body) outgoing['content-length'] = String(body.length);
    const signal = init.signal ?? request?.signal ?? undefined;
    return new Promise<Response>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: typeof port === 'number' ? port : port(url), path: `${url.pathname}${url.search}`, method, headers: outgoing, agent: false },
        (res) => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value === undefined) continue;
            for (const v of Array.isArray(value) ? value : [value]) responseHeaders.append(name, v);
          }
          const status = res.statusCode ?? 502;
          const noBody = method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
          if (noBody) res.resume();
          const stream = noBody ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
          const response = new Response(stream, { status, statusText: res.statusMessage, headers: responseHeaders });
          Object.defineProperty(response, 'url', { value: url.toString() });
          resolve(response);
        },
      );
      req.on('error', reject);
      if (signal) {
        if (signal.aborted) req.destroy(new DOMException('aborted', 'AbortError'));
        signal.addEventListener('abort', () => req.destroy(new DOMException('aborted', 'AbortError')), { once: true });
      }
      req.end(body);
    });
  }) as typeof fetch;
}
