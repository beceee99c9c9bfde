/**
 * The one canonical form of a request path (docs/security.md, "Canonical path"): every route, auth
 * and metadata decision is taken on it, and it is what the proxy forwards, so a backend that
 * normalises paths (nginx, most frameworks) serves exactly the path that was checked.
 *
 * - percent-escaped unreserved characters (ALPHA / DIGIT / - . _ ~) are decoded, the hex digits of
 *   the remaining escapes upper-cased (RFC 3986 §6.2.2.1-2);
 * - repeated slashes are merged (nginx merges them before it resolves dots: `/a//../b` is `/b` there);
 * - dot segments are removed (RFC 3986 §5.2.4); a path that climbs above `/` stays at `/`.
 *
 * Refused (a backend could split or resolve them differently from the proxy): encoded slash `%2F`,
 * backslash raw or `%5C`, `%00`, malformed escapes, `#`, control characters, spaces and non-ASCII,
 * and dot segments carrying parameters (`..;x`: Tomcat and Spring strip `;x` and then climb).
 */

/** Why a path cannot be served; the message tells the client what to fix. */
export interface PathRefusal {
  readonly refused: string;
}

const refusal = (refused: string): PathRefusal => Object.freeze({ refused });
const ENCODED_SLASH = refusal(
  'the request path contains an encoded slash (%2F) or backslash (%5C): send the segments unencoded',
);
const BACKSLASH = refusal('the request path contains a backslash: use "/" between segments, or %-encode it as data');
const NUL = refusal('the request path contains %00');
const MALFORMED_ESCAPE = refusal(
  'the request path contains a malformed percent-escape: "%" must be followed by two hex digits',
);
const BAD_CHARACTER = refusal(
  'the request path contains a character not allowed in a path (a control character, space, "#" or non-ASCII): percent-encode it',
);
const DOT_PARAMETERS = refusal('the request path contains a dot segment with parameters (".;" or "..;")');
const NOT_A_PATH = refusal('the request target must be a path starting with "/"');

const PERCENT = 0x25;
const SLASH = 0x2f;
const DOT = 0x2e;
const BACKSLASH_CODE = 0x5c;
const HASH = 0x23;

/** RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~". */
function isUnreserved(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x30 && c <= 0x39) ||
    c === 0x2d ||
    c === DOT ||
    c === 0x5f ||
    c === 0x7e
  );
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/**
 * True when `path` is certainly canonical: no `%`, no backslash, no `#`, no character outside
 * printable ASCII, no `//` and no segment starting with a dot. One scan, no allocation: the common
 * case on the data path.
 */
export function isPlainPath(path: string): boolean {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === PERCENT || c === BACKSLASH_CODE || c === HASH || c <= 0x20 || c >= 0x7f) return false;
    if (c === SLASH) {
      const next = path.charCodeAt(i + 1);
      if (next === SLASH || next === DOT) return false;
    }
  }
  return true;
}

/**
 * The canonical form of a request path (no query string), or why it is refused. Answers `path`
 * itself (same string) when it is already canonical.
 */
export function canonicalPath(path: string): string | PathRefusal {
  if (path.charCodeAt(0) !== SLASH) return NOT_A_PATH;
  if (isPlainPath(path)) return path;
  const decoded = decodeUnreserved(path);
  if (typeof decoded !== 'string') return decoded;
  return removeDotSegments(decoded);
}

export function isRefusal(value: string | PathRefusal): value is PathRefusal {
  return typeof value !== 'string';
}

/** Decodes escaped unreserved characters, upper-cases other escapes, refuses what cannot be made safe. */
function decodeUnreserved(path: string): string | PathRefusal {
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === PERCENT) {
      const high = hexValue(path.charCodeAt(i + 1));
      const low = hexValue(path.charCodeAt(i + 2));
      if (high < 0 || low < 0) return MALFORMED_ESCAPE;
      const byte = high * 16 + low;
      if (byte === SLASH || byte === BACKSLASH_CODE) return ENCODED_SLASH;
      if (byte === 0) return NUL;
      out += isUnreserved(byte) ? String.fromCharCode(byte) : `%${path[i + 1]}${path[i + 2]}`.toUpperCase();
      i += 2;
    } else if (c === BACKSLASH_CODE) {
      return BACKSLASH;
    } else if (c === HASH || c <= 0x20 || c >= 0x7f) {
      return BAD_CHARACTER;
    } else {
      out += path[i];
    }
  }
  return out;
}

/** True for `.;x`, `..;x`, `.%3Bx`, `..%3Bx`: a dot segment once a server strips its parameters. */
function isDotWithParameters(segment: string): boolean {
  if (!segment.startsWith('.')) return false;
  const afterDots = segment.startsWith('..') ? 2 : 1;
  return segment.startsWith(';', afterDots) || segment.startsWith('%3B', afterDots);
}

/** RFC 3986 §5.2.4 on an absolute path, with empty segments (`//`) merged first. */
function removeDotSegments(path: string): string | PathRefusal {
  const segments = path.split('/');
  const kept: string[] = [];
  let trailingSlash = false;
  // segments[0] is the empty string before the leading "/".
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i];
    const last = i === segments.length - 1;
    if (segment === '' || segment === '.') {
      trailingSlash = last;
    } else if (segment === '..') {
      kept.pop();
      trailingSlash = last;
    } else {
      if (segment.charCodeAt(0) === DOT && isDotWithParameters(segment)) return DOT_PARAMETERS;
      kept.push(segment);
      trailingSlash = false;
    }
  }
  if (kept.length === 0) return '/';
  const joined = `/${kept.join('/')}`;
  return trailingSlash ? `${joined}/` : joined;
}
