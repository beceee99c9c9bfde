/** How long one call to GitHub may take (GitHub answers in well under a second). */
export const GITHUB_TIMEOUT_MS = 10_000;

/** A call to GitHub that did not produce an answer (network error, timeout) or whose body is not JSON. */
export class GithubUnreachable extends Error {}

export interface GithubAnswer {
  status: number;
  headers: Headers;
  /** The JSON body; undefined for a non-2xx answer (its body is not read). */
  body?: unknown;
}

/**
 * One JSON call to GitHub with our user agent and the timeout. A non-2xx answer is returned with its
 * status (the callers tell 401 from the rest); a network error, a timeout or a 2xx body that is not
 * JSON throw GithubUnreachable. The token in `init` is never part of an error.
 */
export async function githubCall(url: string, init: RequestInit = {}): Promise<GithubAnswer> {
  let response: Response;
  try {
    response = await fetch(url, {
      ...init,
      headers: { accept: 'application/json', 'user-agent': 'mcp-https-proxy', ...init.headers },
      signal: AbortSignal.timeout(GITHUB_TIMEOUT_MS),
    });
  } catch {
    throw new GithubUnreachable(`no answer from ${new URL(url).origin}`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    return { status: response.status, headers: response.headers };
  }
  try {
    return { status: response.status, headers: response.headers, body: (await response.json()) as unknown };
  } catch {
    throw new GithubUnreachable(`${new URL(url).pathname} did not answer JSON`);
  }
}

/** The `rel="next"` URL of a `Link` header (GitHub's pagination), if any. */
export function nextPage(link: string | null): string | undefined {
  for (const part of (link ?? '').split(',')) {
    const m = /^\s*<([^>]+)>(.*)$/.exec(part);
    if (m && /;\s*rel="?next"?\s*(?:;|$)/.test(m[2])) return m[1];
  }
  return undefined;
}
