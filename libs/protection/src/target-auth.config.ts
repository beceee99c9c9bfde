import type { SetTargetAuthDto } from './dto/set-target-auth.dto';

export const AUTH_MODES = ['forward', 'redirect', 'passthrough'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/** A proxy target's protection settings, stored in the target record's opaque `auth` slot. */
export interface TargetAuthConfig {
  enabled: boolean;
  /** The auth hostname (informational; the issuer is the server's own). */
  auth_proxy: string;
  mode: AuthMode;
  /** GitHub logins allowed; `["*"]` (or empty) means any user who can sign in at all. */
  required_users: string[];
  /** E-mail addresses allowed besides `required_users` (case-insensitive). */
  required_emails: string[];
  /** When not empty, the token must carry at least one of these scopes. */
  allowed_scopes: string[];
  /** Further `aud` values accepted besides this target's resource URIs. */
  allowed_audiences: string[];
  /** Path prefixes served without authentication. */
  excluded_paths: string[];
  /** Send the identity headers to the backend. */
  pass_headers: boolean;
  header_prefix: string;
  /** Session cookie of the redirect mode. */
  cookie_name: string;
  /** Pass the client's Authorization header on to the backend (off: no token passthrough). */
  forward_authorization: boolean;
  /** Redirect mode: the OAuth client the proxy signs browsers in with (registered when the mode is set). */
  redirect_client_id?: string;
}

/** Where the authorization server sends browsers back to in redirect mode, on the target's own host. */
export const HEADER_PREFIX = /^[A-Za-z0-9-]{1,40}$/;
export const PATH = /^\/[^\s?#]*$/;
export const COOKIE = /^[A-Za-z0-9_-]{1,64}$/;

export const REDIRECT_CALLBACK_PATH = '/.auth/callback';

export function authConfigFrom(input: SetTargetAuthDto, authHostname: string): TargetAuthConfig {
  const list = (v: string[] | undefined) => [...new Set((v ?? []).map((s) => s.trim()).filter(Boolean))];
  return {
    enabled: input.enabled ?? true,
    auth_proxy: input.auth_proxy ?? authHostname,
    mode: input.mode ?? 'forward',
    required_users: list(input.required_users),
    required_emails: list(input.required_emails).map((e) => e.toLowerCase()),
    allowed_scopes: list(input.allowed_scopes),
    allowed_audiences: list(input.allowed_audiences),
    excluded_paths: list(input.excluded_paths),
    pass_headers: input.pass_headers ?? true,
    header_prefix: input.header_prefix ?? 'X-Auth-',
    cookie_name: input.cookie_name ?? 'proxy_session',
    forward_authorization: input.forward_authorization ?? false,
  };
}

/** The stored `auth` slot read back (tolerant: unknown or missing fields take their defaults). */
export function authConfigOf(slot: Record<string, unknown> | null | undefined): TargetAuthConfig | null {
  if (!slot || typeof slot !== 'object') return null;
  const s = slot as Partial<TargetAuthConfig>;
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return {
    enabled: s.enabled === true,
    auth_proxy: typeof s.auth_proxy === 'string' ? s.auth_proxy : '',
    mode: AUTH_MODES.includes(s.mode as AuthMode) ? (s.mode as AuthMode) : 'forward',
    required_users: strings(s.required_users),
    required_emails: strings(s.required_emails),
    allowed_scopes: strings(s.allowed_scopes),
    allowed_audiences: strings(s.allowed_audiences),
    excluded_paths: strings(s.excluded_paths),
    pass_headers: s.pass_headers !== false,
    header_prefix:
      typeof s.header_prefix === 'string' && HEADER_PREFIX.test(s.header_prefix) ? s.header_prefix : 'X-Auth-',
    cookie_name: typeof s.cookie_name === 'string' && COOKIE.test(s.cookie_name) ? s.cookie_name : 'proxy_session',
    forward_authorization: s.forward_authorization === true,
    ...(typeof s.redirect_client_id === 'string' ? { redirect_client_id: s.redirect_client_id } : {}),
  };
}

/** `/health` excludes `/health` and `/health/...`, not `/healthz`; an entry ending in `/` is a plain prefix. */
export function isExcludedPath(path: string, excluded: readonly string[]): boolean {
  return excluded.some((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`));
}

/** The user allowlist: `*` or empty lists allow everyone; otherwise login or e-mail must be listed. */
export function userAllowed(config: TargetAuthConfig, login: string, email: string | undefined): boolean {
  const users = config.required_users;
  const emails = config.required_emails;
  if (users.includes('*') || (users.length === 0 && emails.length === 0)) return true;
  if (users.some((u) => u.toLowerCase() === login.toLowerCase())) return true;
  return !!email && emails.includes(email.toLowerCase());
}
