import { oauthError } from './oauth-error';

/**
 * Canonical form of an RFC 8707 resource indicator: absolute http(s) URI, no fragment, lower-case
 * scheme and host (URL does that), no trailing slash (`https://mcp.example.com/mcp/` and
 * `https://mcp.example.com/` are the same resources as without the slash).
 */
export function canonicalResource(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw oauthError('invalid_target', `resource "${value}" is not an absolute URI`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw oauthError('invalid_target', `resource "${value}" must be an http(s) URI`);
  if (url.hash || value.includes('#'))
    throw oauthError('invalid_target', `resource "${value}" must not contain a fragment`);
  if (url.username || url.password)
    throw oauthError('invalid_target', `resource "${value}" must not contain credentials`);
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.protocol}//${url.host}${path}${url.search}`;
}

/** The `resource` parameter(s) of a request, canonical and de-duplicated. */
export function canonicalResources(raw: unknown): string[] {
  if (raw === undefined || raw === null || raw === '') return [];
  const values = Array.isArray(raw) ? raw : [raw];
  const out: string[] = [];
  for (const v of values) {
    if (typeof v !== 'string') throw oauthError('invalid_target', 'resource must be a string');
    const c = canonicalResource(v);
    if (!out.includes(c)) out.push(c);
  }
  return out;
}
