/**
 * RFC 9110 §5.6.1 lists (`#element`): elements separated by commas with optional whitespace, empty
 * elements ignored, commas inside a quoted-string (with its backslash escapes) not separators.
 * Node joins a repeated list header with ", ", so an array or a joined string read alike.
 * Elements are returned as sent (trimmed); tokens such as Connection's are case-insensitive, so
 * callers lower-case them.
 */
export function listElements(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const text = typeof value === 'string' ? value : value.join(',');
  // The common case (Connection, Accept-Encoding, ...) has no quotes: a split is all it takes.
  if (!text.includes('"')) return trimmedNonEmpty(text.split(','));
  const parts: string[] = [];
  let from = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quoted && c === 0x5c /* \ */) i++;
    else if (c === 0x22 /* " */) quoted = !quoted;
    else if (c === 0x2c /* , */ && !quoted) {
      parts.push(text.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(text.slice(from));
  return trimmedNonEmpty(parts);
}

function trimmedNonEmpty(parts: string[]): string[] {
  const out: string[] = [];
  for (const part of parts) {
    const element = part.trim();
    if (element) out.push(element);
  }
  return out;
}
