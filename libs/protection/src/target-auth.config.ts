import { GITHUB_ORG, GITHUB_TEAM } from '@app/config';
import type { ProtectedHost, ProtectionSettings, TargetProtectionReader } from '@app/resources';
import type { SetTargetAuthDto } from './dto/set-target-auth.dto';

export const AUTH_MODES = ['forward', 'redirect', 'passthrough'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/** A proxy target's protection settings, stored in the target record's opaque `auth` slot. */
export interface TargetAuthConfig extends ProtectionSettings {
  enabled: boolean;
  /** The auth hostname (informational; the issuer is the server's own). */
  auth_proxy: string;
  mode: AuthMode;
  /** GitHub logins allowed; `["*"]` (or empty) means any user who can sign in at all. */
  required_users: string[];
  /** E-mail addresses allowed besides `required_users` (case-insensitive). */
  required_emails: string[];
  /** GitHub organisations (lower-case logins) whose members are allowed (the token's `orgs` claim). */
  required_orgs: string[];
  /** GitHub teams, `org/team-slug` in lower case, whose members are allowed (the token's `teams` claim). */
  required_teams: string[];
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
  /**
   * Set when the stored slot cannot be read (what is wrong with it): the target then counts as
   * protected and every request to it is refused until the settings are set again (fail closed).
   */
  unreadable?: string;
}

/** A protected hostname as the protection module sees it (the resources module's view, with these settings). */
export type HostProtection = ProtectedHost<TargetAuthConfig>;

/** Where the authorization server sends browsers back to in redirect mode, on the target's own host. */
export const HEADER_PREFIX = /^[A-Za-z0-9-]{1,40}$/;
export const PATH = /^\/[^\s?#]*$/;
export const COOKIE = /^[A-Za-z0-9_-]{1,64}$/;

export const REDIRECT_CALLBACK_PATH = '/.auth/callback';

const list = (v: readonly string[] | undefined) => [...new Set((v ?? []).map((s) => s.trim()).filter(Boolean))];
/** GitHub compares organisation logins and team slugs case-insensitively; the token's claims are lower-case. */
const lowerList = (v: readonly string[] | undefined) => list(v?.map((s) => s.toLowerCase()));

export function authConfigFrom(input: SetTargetAuthDto, authHostname: string): TargetAuthConfig {
  return {
    enabled: input.enabled ?? true,
    auth_proxy: input.auth_proxy ?? authHostname,
    mode: input.mode ?? 'forward',
    required_users: list(input.required_users),
    required_emails: list(input.required_emails).map((e) => e.toLowerCase()),
    required_orgs: lowerList(input.required_orgs),
    required_teams: lowerList(input.required_teams),
    allowed_scopes: list(input.allowed_scopes),
    allowed_audiences: list(input.allowed_audiences),
    excluded_paths: list(input.excluded_paths),
    pass_headers: input.pass_headers ?? true,
    header_prefix: input.header_prefix ?? 'X-Auth-',
    cookie_name: input.cookie_name ?? 'proxy_session',
    forward_authorization: input.forward_authorization ?? false,
  };
}

/**
 * The stored `auth` slot read back. Missing fields take their defaults (records written before a
 * field existed), except `enabled`, which every version wrote. A field that is present but malformed
 * (wrong type, unknown mode, bad prefix, an excluded path that is not a path), a missing `enabled` or
 * a slot that is not an object makes the settings unreadable: the target stays protected and
 * refuses every request, instead of reading the broken value as "anyone" or "auth off".
 */
export function authConfigOf(slot: Record<string, unknown> | null | undefined): TargetAuthConfig | null {
  if (slot === null || slot === undefined) return null;
  const problems: string[] = [];
  const s = (typeof slot === 'object' && !Array.isArray(slot) ? slot : {}) as Record<string, unknown>;
  if (s !== slot) problems.push('the slot is not an object');
  const has = (field: string) => s[field] !== undefined;
  const flag = (field: string, fallback: boolean): boolean => {
    if (!has(field)) return fallback;
    if (typeof s[field] === 'boolean') return s[field];
    problems.push(`${field} is not a boolean`);
    return fallback;
  };
  const strings = (field: string, pattern?: RegExp): string[] => {
    const v = s[field];
    if (!has(field)) return [];
    if (Array.isArray(v) && v.every((x) => typeof x === 'string' && (!pattern || pattern.test(x))))
      return v as string[];
    problems.push(`${field} is not a list of ${pattern ? 'valid values' : 'strings'}`);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  };
  const text = (field: string, fallback: string, pattern?: RegExp): string => {
    const v = s[field];
    if (!has(field)) return fallback;
    if (typeof v === 'string' && (!pattern || pattern.test(v))) return v;
    problems.push(`${field} is not ${pattern ? 'a valid value' : 'a string'}`);
    return fallback;
  };
  const mode =
    has('mode') && !AUTH_MODES.includes(s.mode as AuthMode) ? undefined : ((s.mode as AuthMode) ?? 'forward');
  if (!mode) problems.push(`mode is not one of ${AUTH_MODES.join(', ')}`);
  // Every version wrote `enabled`: a slot without it was not written by the API (it read as "auth off").
  if (s === slot && !has('enabled')) problems.push('enabled is missing');
  const config: TargetAuthConfig = {
    enabled: flag('enabled', false),
    auth_proxy: text('auth_proxy', ''),
    mode: mode ?? 'forward',
    required_users: strings('required_users'),
    required_emails: strings('required_emails'),
    // A malformed entry is not read as some other organisation or team: the settings are unreadable.
    required_orgs: lowerList(strings('required_orgs', GITHUB_ORG)),
    required_teams: lowerList(strings('required_teams', GITHUB_TEAM)),
    allowed_scopes: strings('allowed_scopes'),
    allowed_audiences: strings('allowed_audiences'),
    // An entry that is not a path ('' is a prefix of every path) is not read as one.
    excluded_paths: strings('excluded_paths', PATH),
    pass_headers: flag('pass_headers', true),
    header_prefix: text('header_prefix', 'X-Auth-', HEADER_PREFIX),
    cookie_name: text('cookie_name', 'proxy_session', COOKIE),
    forward_authorization: flag('forward_authorization', false),
  };
  if (has('redirect_client_id')) {
    const client = text('redirect_client_id', '');
    if (client) config.redirect_client_id = client;
  }
  return problems.length === 0 ? config : { ...config, enabled: true, unreadable: problems.join('; ') };
}

/** The reader the resources module is registered with (`ResourcesModule.register`). */
export const TARGET_AUTH_SETTINGS: TargetProtectionReader<TargetAuthConfig> = {
  settingsOf: (target) => authConfigOf(target.auth),
};

/** `/health` excludes `/health` and `/health/...`, not `/healthz`; an entry ending in `/` is a plain prefix. */
export function isExcludedPath(path: string, excluded: readonly string[]): boolean {
  return excluded.some((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`));
}

/** A caller's GitHub organisations and teams, lower-case (the token's `orgs` and `teams` claims). */
export interface Memberships {
  readonly orgs: readonly string[];
  readonly teams: readonly string[];
}

export const NO_MEMBERSHIPS: Memberships = Object.freeze({ orgs: Object.freeze([]), teams: Object.freeze([]) });

/** The target names organisations or teams (its 403 then says which membership admits). */
export function namesMemberships(config: TargetAuthConfig): boolean {
  return config.required_orgs.length > 0 || config.required_teams.length > 0;
}

/**
 * The allowlist: `*` in required_users, or all four lists empty, allow everyone; otherwise the login,
 * the e-mail, one of the caller's organisations or one of its teams must be listed.
 */
export function userAllowed(
  config: TargetAuthConfig,
  login: string,
  email: string | undefined,
  memberships: Memberships = NO_MEMBERSHIPS,
): boolean {
  const users = config.required_users;
  const emails = config.required_emails;
  if (users.includes('*') || (users.length === 0 && emails.length === 0 && !namesMemberships(config))) return true;
  if (login !== '' && users.some((u) => u.toLowerCase() === login.toLowerCase())) return true;
  if (!!email && emails.includes(email.toLowerCase())) return true;
  return (
    memberships.orgs.some((o) => config.required_orgs.includes(o)) ||
    memberships.teams.some((t) => config.required_teams.includes(t))
  );
}
