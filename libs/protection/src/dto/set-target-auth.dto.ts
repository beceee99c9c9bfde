import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { AUTH_MODES, COOKIE, HEADER_PREFIX, PATH, type AuthMode } from '../target-auth.config';

/** Body of `POST /api/v1/proxy/targets/{hostname}/auth` (the original system's field names). */
export class SetTargetAuthDto {
  /** Turn protection on (default true). */
  @IsOptional()
  @IsBoolean({ message: 'enabled must be true or false' })
  enabled?: boolean;

  /** The auth hostname the target uses (default AUTH_HOSTNAME). */
  @IsOptional()
  @IsString({ message: 'auth_proxy must be a hostname' })
  @MaxLength(253)
  auth_proxy?: string;

  /** forward (validate the bearer token, default), redirect (browser login with a session cookie), passthrough (identity when a valid token is sent). */
  @IsOptional()
  @IsIn(AUTH_MODES, { message: `mode must be one of ${AUTH_MODES.join(', ')}` })
  mode?: AuthMode;

  /** GitHub logins allowed here; ["*"] or [] allows any signed-in user. */
  @IsOptional()
  @IsArray({ message: 'required_users must be a list of GitHub logins, or ["*"] for any signed-in user' })
  @ArrayMaxSize(1000)
  @IsString({ each: true, message: 'required_users must contain GitHub logins' })
  required_users?: string[];

  /** E-mail addresses allowed besides required_users. */
  @IsOptional()
  @IsArray({ message: 'required_emails must be a list of e-mail addresses' })
  @ArrayMaxSize(1000)
  @IsString({ each: true, message: 'required_emails must contain e-mail addresses' })
  required_emails?: string[];

  /** When not empty, the token needs at least one of these scopes. */
  @IsOptional()
  @IsArray({ message: 'allowed_scopes must be a list of scopes' })
  @IsString({ each: true, message: 'allowed_scopes must contain scope names' })
  allowed_scopes?: string[];

  /** Further token audiences accepted besides this target's resource URIs. */
  @IsOptional()
  @IsArray({ message: 'allowed_audiences must be a list of URIs' })
  @IsString({ each: true, message: 'allowed_audiences must contain URIs' })
  allowed_audiences?: string[];

  /** Path prefixes served without authentication, e.g. ["/health"]. */
  @IsOptional()
  @IsArray({ message: 'excluded_paths must be a list of paths' })
  @Matches(PATH, { each: true, message: 'excluded_paths must contain paths starting with / (no query string)' })
  excluded_paths?: string[];

  /** Send identity headers (X-Auth-User-Id, -User-Name, -User-Email, -Scopes, -Client-Id) to the backend (default true). */
  @IsOptional()
  @IsBoolean({ message: 'pass_headers must be true or false' })
  pass_headers?: boolean;

  /** Prefix of the identity headers (default X-Auth-). */
  @IsOptional()
  @Matches(HEADER_PREFIX, { message: 'header_prefix must be letters, digits and dashes, e.g. X-Auth-' })
  header_prefix?: string;

  /** Session cookie name of the redirect mode (default proxy_session). */
  @IsOptional()
  @Matches(COOKIE, { message: 'cookie_name must be letters, digits, _ and -' })
  cookie_name?: string;

  /** Pass the client's Authorization header to the backend (default false: no token passthrough). */
  @IsOptional()
  @IsBoolean({ message: 'forward_authorization must be true or false' })
  forward_authorization?: boolean;
}
