import { Type } from 'class-transformer';
import { IsArray, IsBoolean, IsInt, IsOptional, IsString, ValidateNested } from 'class-validator';

/** The GitHub identity of a signed-in user. */
export class OAuthUser {
  /** GitHub numeric user id, as a string (the token's `sub`). */
  @IsString()
  id!: string;

  @IsString()
  login!: string;

  @IsOptional()
  @IsString()
  name?: string;

  @IsOptional()
  @IsString()
  email?: string;
}

/** A validated /authorize request waiting for the GitHub login (`oauth:authorize:<sha256 of id>`, 10 min; stored with the hash as `id`). */
export class AuthorizationRequestRecord {
  @IsString()
  id!: string;

  @IsString()
  client_id!: string;

  @IsString()
  client_name!: string;

  @IsString()
  redirect_uri!: string;

  @IsOptional()
  @IsString()
  state?: string;

  @IsString()
  code_challenge!: string;

  @IsArray()
  @IsString({ each: true })
  scopes!: string[];

  @IsArray()
  @IsString({ each: true })
  resources!: string[];
}

/** GitHub organisations and teams (lower-case). */
export class MembershipNames {
  @IsArray()
  @IsString({ each: true })
  orgs!: string[];

  @IsArray()
  @IsString({ each: true })
  teams!: string[];
}

/** A signed-in user asked to approve a client (`oauth:consent-request:<id>`, 10 min). */
export class ConsentRequestRecord {
  @IsString()
  id!: string;

  @ValidateNested()
  @Type(() => AuthorizationRequestRecord)
  request!: AuthorizationRequestRecord;

  @ValidateNested()
  @Type(() => OAuthUser)
  user!: OAuthUser;

  /** The signed-in session's id (the hash of its cookie's secret). */
  @IsString()
  session_id!: string;

  @IsString()
  csrf_token!: string;

  /** Scopes the user approved for this client before (a step-up): the page names them and asks only for the others. */
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  already_approved?: string[];

  /** The user's memberships among those named for the request (globally or for its resources): the page names them. */
  @IsOptional()
  @ValidateNested()
  @Type(() => MembershipNames)
  memberships?: MembershipNames;
}

/** Browser login session at the authorization server (`oauth:session:<id>`; `id` is the SHA-256 of the secret in the session cookie). */
export class LoginSessionRecord {
  @IsString()
  id!: string;

  @ValidateNested()
  @Type(() => OAuthUser)
  user!: OAuthUser;

  @IsInt()
  created_at!: number;
}

/** An authorization code (`oauth:code:<sha256>`), single use, bound to all it was issued for. */
export class AuthorizationCodeRecord {
  @IsString()
  client_id!: string;

  @IsString()
  redirect_uri!: string;

  @IsString()
  code_challenge!: string;

  @IsArray()
  @IsString({ each: true })
  scopes!: string[];

  @IsArray()
  @IsString({ each: true })
  resources!: string[];

  @ValidateNested()
  @Type(() => OAuthUser)
  user!: OAuthUser;

  /** The grant family the exchange creates (decided up front so a reuse can revoke it). */
  @IsString()
  family_id!: string;

  @IsOptional()
  @IsBoolean()
  used?: boolean;
}
