import type { HttpMethod } from './command-spec';

export interface ApiAnswer {
  status: number;
  body: unknown;
  requestId: string | null;
}

/** The server could not be reached at all (exit code 3). */
export class ConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionError';
  }
}

/** The message to show for an error answer: the API's own words, whatever shape they came in. */
export function errorMessage(status: number, body: unknown): string {
  if (body !== null && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    const message = b.message ?? b.error_description ?? b.error;
    if (Array.isArray(message)) return message.join('; ');
    if (typeof message === 'string' && message) return message;
  }
  if (typeof body === 'string' && body.trim()) return body.trim().slice(0, 500);
  return `HTTP ${status}`;
}

export interface RequestOptions {
  method: HttpMethod;
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  token?: string;
  /** Accept header; default application/json. */
  accept?: string;
}

/** A thin JSON client of the admin API. Never throws for HTTP errors; only for unreachable servers. */
export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 30_000,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async request(options: RequestOptions, interrupt?: AbortSignal): Promise<ApiAnswer> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const res = await this.send(options, interrupt ? AbortSignal.any([timeout, interrupt]) : timeout);
    return this.answer(res);
  }

  /**
   * A response that stays open (SSE, followed logs): resolves with the error answer when the status
   * is 400 or more, else calls `onChunk` with each piece of text until the server ends the response
   * or `signal` aborts (Ctrl-C); then resolves with the status and no body.
   */
  async stream(options: RequestOptions, signal: AbortSignal, onChunk: (text: string) => void): Promise<ApiAnswer> {
    const res = await this.send(options, signal);
    if (res.status >= 400 || !res.body) return this.answer(res);
    const decoder = new TextDecoder();
    const reader = res.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        onChunk(decoder.decode(value, { stream: true }));
      }
    } catch (error) {
      if (!signal.aborted)
        throw new ConnectionError(`the stream from ${this.baseUrl} broke (${(error as Error).message})`);
    }
    return { status: res.status, body: undefined, requestId: res.headers.get('x-request-id') };
  }

  private async send(options: RequestOptions, signal: AbortSignal): Promise<Response> {
    const url = new URL(this.baseUrl);
    // Keep any base path the URL has (e.g. behind a reverse proxy at /admin).
    url.pathname = `${url.pathname.replace(/\/$/, '')}${options.path}`;
    for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    try {
      return await this.fetchImpl(url, { method: options.method, headers, body, signal });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new ConnectionError(
        `cannot reach the API at ${this.baseUrl} (${reason}); is the server running? Set PROXY_API_URL or --url`,
      );
    }
  }

  private async answer(res: Response): Promise<ApiAnswer> {
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed, requestId: res.headers.get('x-request-id') };
  }
}
