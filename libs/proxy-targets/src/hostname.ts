import { domainToASCII } from 'node:url';

const LABELS = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * Normalises a hostname for storage and lookup: trimmed, lower-cased, IDN converted to its ASCII
 * (punycode) form. Returns null when it is not a plain DNS name (ports, paths, schemes, IPs with
 * ports, empty labels are all refused).
 */
export function normalizeHostname(input: string): string | null {
  const trimmed = input.trim().toLowerCase().replace(/\.$/, '');
  if (trimmed === '' || /[/:@?#\s\\[\]]/.test(trimmed)) return null;
  const ascii = domainToASCII(trimmed);
  if (!ascii || !LABELS.test(ascii)) return null;
  return ascii;
}
