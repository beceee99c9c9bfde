import * as http from 'node:http';
import * as https from 'node:https';

export interface LoopbackResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * One request with a chosen Host header to a given address (our own public listener, a backend),
 * body read up to 64 KiB, bounded in time; rejects with the connection error.
 */
export function requestTo(
  url: URL,
  options: { method?: string; host?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number },
): Promise<LoopbackResponse> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(
      url,
      {
        method: options.method ?? 'GET',
        headers: { ...options.headers, ...(options.host ? { host: options.host } : {}) },
        timeout: options.timeoutMs ?? 5000,
        ...(url.protocol === 'https:'
          ? { rejectUnauthorized: false, servername: options.host?.replace(/:\d+$/, '') }
          : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= 65536) chunks.push(c);
          else res.destroy();
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
        res.on('close', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs ?? 5000} ms`)));
    req.on('error', reject);
    req.end(options.body);
  });
}
