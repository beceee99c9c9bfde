import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString } from 'class-validator';
import { AUTH_METHODS, type TokenEndpointAuthMethod } from '../clients/oauth-client.record';

/**
 * The body of POST /api/v1/oauth/clients: RFC 7591 client metadata. For the OpenAPI document only:
 * parseClientMetadata validates the body (and ignores unknown members, as the RFC asks), so the
 * controller takes it as a plain object, not through this class.
 */
export class ClientRegistrationDto {
  /** Exact redirect URIs, 1-10. */
  redirect_uris!: string[];
  client_name?: string;
  /** Default client_secret_basic; none is a public client (no secret). */
  @ApiPropertyOptional({ enum: AUTH_METHODS })
  token_endpoint_auth_method?: TokenEndpointAuthMethod;
  /** authorization_code and refresh_token (the default: both). */
  grant_types?: string[];
  /** Only code. */
  response_types?: string[];
  /** Space-separated scopes, each one the server supports. */
  scope?: string;
  client_uri?: string;
  logo_uri?: string;
  contacts?: string[];
  software_id?: string;
  software_version?: string;
}

export class OAuthClientDto {
  client_id!: string;
  /** dynamic (RFC 7591), preregistered (admin) or metadata_document. */
  kind!: string;
  client_name!: string | null;
  redirect_uris!: string[];
  grant_types!: string[];
  token_endpoint_auth_method!: string;
  scope!: string | null;
  created_at!: string;
  /** Has obtained a token (unused dynamic clients expire). */
  used!: boolean;
}

/** A grant: one authorization and its refresh-token family. */
export class OAuthSessionDto {
  session_id!: string;
  client_id!: string;
  /** GitHub login. */
  user!: string;
  user_id!: string;
  scopes!: string[];
  resources!: string[];
  created_at!: string;
  refreshed_at!: string;
  valid_refresh_tokens!: number;
  active_access_tokens!: number;
}

export class OAuthTokenDto {
  jti!: string;
  session_id!: string;
  client_id!: string;
  user!: string;
  scopes!: string[];
  expires_at!: string;
}

export class RevokedUserDto {
  user!: string;
  sessions_revoked!: number;
  access_tokens_revoked!: number;
  login_sessions_deleted!: number;
}

export class OAuthMetricsDto {
  clients!: number;
  clients_dynamic!: number;
  clients_preregistered!: number;
  sessions!: number;
  users_with_sessions!: number;
  active_access_tokens!: number;
  /** Revoked, not yet expired access tokens held in this replica's memory. */
  revoked_access_tokens!: number;
}

export class OAuthListFilterDto {
  /** GitHub login. */
  @IsOptional()
  @IsString({ message: 'user must be a GitHub login' })
  user?: string;

  @IsOptional()
  @IsString({ message: 'client_id must be a string' })
  client_id?: string;
}
