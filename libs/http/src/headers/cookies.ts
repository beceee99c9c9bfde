/**
 * The Cookie request header, read leniently (RFC 6265 §5.2 / §4.2.1): pairs split on `;`, each name
 * and value trimmed, the name up to the first `=`. A pair without `=` or with an empty name is
 * skipped. A value wrapped in one pair of DQUOTEs (RFC 6265 §4.1.1 cookie-value) is read without
 * them. Values are NOT percent-decoded: every cookie this server sets is base64url, hex or a JWT,
 * so decoding would only give one value a second spelling, and a stray `%` can never throw.
 */

/** The value of the first cookie of exactly this name (case-sensitive); undefined when absent or empty. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return unquoted(part.slice(eq + 1).trim()) || undefined;
  }
  return undefined;
}

/** Whether any cookie has exactly this name, whatever its value (empty included). */
export function hasCookie(header: string | undefined, name: string): boolean {
  if (!header) return false;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return true;
  }
  return false;
}

/** The Cookie header without any cookie of this name, pairs joined by `; ` ('' when nothing is left). */
export function withoutCookie(header: string | undefined, name: string): string {
  if (!header) return '';
  return header
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p && p.slice(0, p.indexOf('=')).trim() !== name)
    .join('; ');
}

function unquoted(value: string): string {
  return value.length >= 2 && value.charCodeAt(0) === 0x22 && value.charCodeAt(value.length - 1) === 0x22
    ? value.slice(1, -1)
    : value;
}
