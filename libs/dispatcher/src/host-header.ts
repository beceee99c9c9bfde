const HOST_HEADER = /^(\[[0-9a-f:.]+\]|[^:\s[\]]+)(:\d{1,5})?$/i;

/** The host name of a Host header: lower-case, without port or trailing dot; null when malformed. */
export function hostOf(header: string | undefined): string | null {
  const match = HOST_HEADER.exec((header ?? '').trim());
  return match ? match[1].toLowerCase().replace(/\.$/, '') : null;
}
