import { AUTH_MODES, type AuthMode } from '../target-auth.config';

/** A target's protection settings as stored. */
export class TargetAuthDto {
  hostname!: string;
  enabled!: boolean;
  auth_proxy!: string;
  /** One of forward, redirect, passthrough. */
  mode!: AuthMode;
  required_users!: string[];
  required_emails!: string[];
  /** GitHub organisations whose members are allowed (lower-case logins). */
  required_orgs!: string[];
  /** GitHub teams (`organisation/team-slug`, lower-case) whose members are allowed. */
  required_teams!: string[];
  allowed_scopes!: string[];
  allowed_audiences!: string[];
  excluded_paths!: string[];
  pass_headers!: boolean;
  header_prefix!: string;
  cookie_name!: string;
  forward_authorization!: boolean;
  /** Redirect mode: the OAuth client used for the browser sign-in. */
  redirect_client_id?: string;
  /** The resources of this target (registry URIs; the target origin when none is registered). */
  resources!: string[];
  /** Set when the stored settings cannot be read (what is wrong): every request to the target is refused until they are set again. */
  unreadable?: string;
}

export class TargetAuthDeletedDto {
  hostname!: string;
  enabled!: boolean;
}

export const AUTH_MODE_VALUES = AUTH_MODES;
