/** One request a recording fetch saw, and the status it got. */
export interface FetchRecord {
  method: string;
  url: string;
  status: number;
  body?: string;
  /** The answer's WWW-Authenticate, when it had one. */
  challenge?: string;
}

/** A request body as recorded: text and form bodies (what the MCP SDK sends); anything else is not kept. */
function bodyText(body: RequestInit['body']): string | undefined {
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  return undefined;
}

/** `inner` that also records each request it sends (e.g. what an SDK client asked for) into `log`. */
export function recordingFetch(inner: typeof fetch, log: FetchRecord[]): typeof fetch {
  return async (input, init) => {
    const res = await inner(input, init);
    log.push({
      method: init?.method ?? 'GET',
      url: input instanceof Request ? input.url : String(input),
      status: res.status,
      body: bodyText(init?.body),
      challenge: res.headers.get('www-authenticate') ?? undefined,
    });
    return res;
  };
}
