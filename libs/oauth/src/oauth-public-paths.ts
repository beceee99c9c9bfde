/**
 * The paths the dispatcher must hand to the Nest app on the auth hostname (AUTH_HOSTNAME). `prefix`
 * entries match the path and everything below it (`/register/<client_id>`).
 */
export const OAUTH_PUBLIC_PATHS: readonly { path: string; prefix: boolean }[] = [
  { path: '/.well-known/oauth-authorization-server', prefix: true },
  { path: '/.well-known/openid-configuration', prefix: true },
  { path: '/authorize', prefix: false },
  { path: '/callback', prefix: false },
  { path: '/consent', prefix: false },
  { path: '/token', prefix: false },
  { path: '/register', prefix: true },
  { path: '/revoke', prefix: false },
  { path: '/introspect', prefix: false },
  { path: '/jwks', prefix: false },
];

/** True for a request path (query string allowed) the auth hostname serves. */
export function isOAuthPublicPath(url: string): boolean {
  const path = url.split('?')[0].replace(/\/+$/, '') || '/';
  return OAUTH_PUBLIC_PATHS.some((p) => path === p.path || (p.prefix && path.startsWith(`${p.path}/`)));
}
