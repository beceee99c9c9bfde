/** RFC 6750 §2.1 b64token: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const SCHEME = 'bearer';

/** What an Authorization header holds, as a bearer-token resource reads it. */
export type BearerCredentials =
  | { kind: 'absent' }
  /** Present, but not `Bearer 1*SP b64token` (another scheme, no token, a tab, a second value, ...). */
  | { kind: 'malformed' }
  | { kind: 'token'; token: string };

const ABSENT: BearerCredentials = Object.freeze({ kind: 'absent' });
const MALFORMED: BearerCredentials = Object.freeze({ kind: 'malformed' });

/** Whether a value is an RFC 6750 b64token (what may follow `Bearer `). */
export function isB64Token(value: string): boolean {
  return B64TOKEN.test(value);
}

/**
 * The text after `Bearer` and one or more spaces (the scheme in any case; trailing whitespace
 * dropped), NOT checked against the b64token grammar; undefined for another scheme or nothing after
 * it. Only for a hot path that remembers tokens it has already checked: it must call `isB64Token`
 * before it trusts an unknown one (a regex over a ~700-character JWT on every request was the
 * protection decider's largest cost). Everything else calls `bearerCredentials`.
 */
export function uncheckedBearerToken(header: string): string | undefined {
  if (header.length < 8 || header.charCodeAt(6) !== 0x20) return undefined;
  // `| 0x20` lower-cases ASCII letters; only 'B'/'b' map onto 'b' and so on.
  for (let i = 0; i < 6; i++) if ((header.charCodeAt(i) | 0x20) !== SCHEME.charCodeAt(i)) return undefined;
  let start = 7;
  while (header.charCodeAt(start) === 0x20) start++;
  return header.slice(start).trimEnd() || undefined;
}

/**
 * RFC 6750 §2.1 credentials: `Bearer 1*SP b64token`, the scheme in any case. An empty header counts
 * as absent (RFC 6750 §3.1: no error code then); anything else that is not exactly that grammar is
 * malformed (`error="invalid_request"`), including two values joined by a comma.
 */
export function bearerCredentials(header: string | undefined): BearerCredentials {
  if (header === undefined || header.trim() === '') return ABSENT;
  const token = uncheckedBearerToken(header);
  return token !== undefined && B64TOKEN.test(token) ? { kind: 'token', token } : MALFORMED;
}

/** The bearer token of an Authorization header, or undefined when it is absent or malformed. */
export function bearerToken(header: string | undefined): string | undefined {
  const credentials = bearerCredentials(header);
  return credentials.kind === 'token' ? credentials.token : undefined;
}
