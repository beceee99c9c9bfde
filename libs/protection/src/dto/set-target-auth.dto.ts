import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  type ValidationArguments,
} from 'class-validator';
import { GITHUB_ORG, GITHUB_TEAM } from '@app/config';
import { AUTH_MODES, COOKIE, HEADER_PREFIX, PATH, type AuthMode } from '../target-auth.config';

/** The entries of a list that do not match, quoted, for a message that says which to fix. */
function offending(args: ValidationArguments, pattern: RegExp): string {
  const values = Array.isArray(args.value) ? (args.value as unknown[]) : [args.value];
  return values
    .filter((v) => typeof v !== 'string' || !pattern.test(v))
    .map((v) => JSON.stringify(v))
    .join(', ');
}

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

  /** GitHub logins allowed here; ["*"] (or all of required_users, required_emails, required_orgs and required_teams empty) allows any signed-in user. */
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

  /**
   * GitHub organisations (logins, e.g. "acme") whose members are allowed besides required_users and
   * required_emails. Membership is read from GitHub when the token is issued (the token's `orgs` claim).
   */
  @IsOptional()
  @IsArray({ message: 'required_orgs must be a list of GitHub organisation logins, e.g. ["acme"]' })
  @ArrayMaxSize(100, { message: 'required_orgs: at most 100 organisations' })
  @Matches(GITHUB_ORG, {
    each: true,
    message: (args) =>
      `required_orgs: ${offending(args, GITHUB_ORG)} is not a GitHub organisation login (letters, digits and single hyphens, at most 39), e.g. "acme"`,
  })
  required_orgs?: string[];

  /**
   * GitHub teams written `organisation/team-slug` (e.g. "acme/platform") whose members are allowed
   * besides the other lists. Membership is read from GitHub when the token is issued (the token's `teams` claim).
   */
  @IsOptional()
  @IsArray({ message: 'required_teams must be a list of teams written organisation/team-slug, e.g. ["acme/platform"]' })
  @ArrayMaxSize(100, { message: 'required_teams: at most 100 teams' })
  @Matches(GITHUB_TEAM, {
    each: true,
    message: (args) =>
      `required_teams: ${offending(args, GITHUB_TEAM)} is not a team: write organisation/team-slug (the slug from the team's URL), e.g. "acme/platform"`,
  })
  required_teams?: string[];

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
