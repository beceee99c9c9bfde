import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString } from 'class-validator';

export const AUTH_METHODS = ['none', 'client_secret_basic', 'client_secret_post'] as const;
export type TokenEndpointAuthMethod = (typeof AUTH_METHODS)[number];
export const CLIENT_KINDS = ['dynamic', 'preregistered', 'metadata_document'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

/** A registered OAuth client as stored in Redis (`oauth:client:<client_id>`); secrets only hashed. */
export class OAuthClientRecord {
  @IsString()
  client_id!: string;

  @IsIn(CLIENT_KINDS)
  kind!: ClientKind;

  @IsOptional()
  @IsString()
  client_secret_hash?: string;

  @IsOptional()
  @IsString()
  registration_access_token_hash?: string;

  @IsOptional()
  @IsString()
  client_name?: string;

  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  redirect_uris!: string[];

  @IsArray()
  @IsString({ each: true })
  grant_types!: string[];

  @IsArray()
  @IsString({ each: true })
  response_types!: string[];

  @IsIn(AUTH_METHODS)
  token_endpoint_auth_method!: TokenEndpointAuthMethod;

  @IsOptional()
  @IsString()
  scope?: string;

  @IsOptional()
  @IsString()
  client_uri?: string;

  @IsOptional()
  @IsString()
  logo_uri?: string;

  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  contacts?: string[];

  @IsOptional()
  @IsString()
  software_id?: string;

  @IsOptional()
  @IsString()
  software_version?: string;

  /** client_id_issued_at, seconds since the epoch. */
  @IsInt()
  client_id_issued_at!: number;

  /** Has obtained a token at least once (unused dynamic clients expire). */
  @IsBoolean()
  used!: boolean;
}
