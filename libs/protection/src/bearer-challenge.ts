import type { ServedResource } from '@app/resources';

/** `Bearer key="value", ...` with quotes and backslashes escaped (RFC 9110 quoted-string). */
export function challenge(params: Record<string, string | undefined>): string {
  const parts = Object.entries(params)
    .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')
    .map(([k, v]) => `${k}="${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`);
  return `Bearer ${parts.join(', ')}`;
}

/** The metadata URL of a resource: RFC 9728 path-inserted (root resource: the plain well-known URL). */
export function metadataUrl(origin: string, resource: ServedResource): string {
  return `${origin}/.well-known/oauth-protected-resource${resource.endpoint}`;
}
