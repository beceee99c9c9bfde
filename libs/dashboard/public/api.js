// The admin API client: bearer token from sessionStorage (gone when the tab closes).
const TOKEN_KEY = 'proxy-dashboard-token';

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  /** @param {string | null} value */
  set token(value) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
};

/** An error answer from the API, carrying its message (what to fix) and status. */
export class ApiError extends Error {
  /**
   * @param {number} status  the HTTP status; 0 when the server could not be reached
   * @param {any} body       the answer: parsed JSON (the API's shape, see /openapi.json) or its text
   */
  constructor(status, body) {
    const message = body && typeof body === 'object' ? (body.message ?? body.error_description ?? body.error) : body;
    super(Array.isArray(message) ? message.join('; ') : message || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** Listeners told when the API refuses the token (401), so the app can ask to sign in again. */
/** @type {((error: ApiError) => void)[]} */
const unauthorizedListeners = [];
/** @param {(error: ApiError) => void} fn */
export const onUnauthorized = (fn) => unauthorizedListeners.push(fn);

/**
 * One API call with the session's token (or `token`): JSON in, parsed JSON (or text) out.
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]  sent as JSON when given
 * @param {string | null} [token]
 * @returns {Promise<any>} the answer; an error status throws ApiError
 */
export async function api(method, path, body, token = session.token) {
  // Signed out while a page was still loading: its later calls are not sent (each would be a 401).
  if (!token && path.startsWith('/api/')) throw new ApiError(401, 'signed out');
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'cannot reach the server');
  }
  const raw = await res.text();
  /** @type {any} */
  let parsed = raw;
  try {
    parsed = raw ? JSON.parse(raw) : undefined;
  } catch {
    // not JSON
  }
  if (res.status === 401 && token && token === session.token)
    for (const fn of unauthorizedListeners) fn(new ApiError(401, parsed));
  if (!res.ok && !(res.status === 503 && path === '/health')) throw new ApiError(res.status, parsed);
  return parsed;
}
