import { Body, Controller, Delete, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '@app/tokens';
import type { RegisteredClient } from '../clients/clients.service';
import {
  ClientRegistrationDto,
  OAuthClientDto,
  OAuthListFilterDto,
  OAuthMetricsDto,
  OAuthSessionDto,
  OAuthTokenDto,
  RevokedUserDto,
} from './oauth-admin.dto';
import { OAuthAdminService } from './oauth-admin.service';

/** Administration of the authorization server (admin token only). */
@ApiTags('oauth')
@Authenticated({ admin: true })
@Controller('api/v1/oauth')
export class OAuthAdminController {
  constructor(private readonly admin: OAuthAdminService) {}

  @Get('clients')
  listClients(): Promise<OAuthClientDto[]> {
    return this.admin.listClients();
  }

  /** Pre-registers a client (RFC 7591 metadata); the secret, if any, is in this response only. */
  @Post('clients')
  @ApiBody({
    type: ClientRegistrationDto,
    examples: {
      confidential: {
        value: {
          client_name: 'CI',
          redirect_uris: ['https://ci.example.com/callback'],
          token_endpoint_auth_method: 'client_secret_basic',
          grant_types: ['authorization_code', 'refresh_token'],
        },
      },
    },
  })
  createClient(@Body() body: Record<string, unknown>): Promise<RegisteredClient> {
    return this.admin.createClient(body);
  }

  @Get('clients/:client_id')
  showClient(@Param('client_id') clientId: string): Promise<OAuthClientDto> {
    return this.admin.showClient(clientId);
  }

  /** Deletes the client and revokes all its sessions and tokens. */
  @Delete('clients/:client_id')
  deleteClient(@Param('client_id') clientId: string): Promise<{ client_id: string; grants_revoked: number }> {
    return this.admin.deleteClient(clientId);
  }

  /** Sessions (grants with their refresh-token family), optionally by user or client. */
  @Get('sessions')
  sessions(@Query() filter: OAuthListFilterDto): Promise<OAuthSessionDto[]> {
    return this.admin.sessions(filter);
  }

  @Delete('sessions/:session_id')
  revokeSession(@Param('session_id') sessionId: string): Promise<OAuthSessionDto> {
    return this.admin.revokeSession(sessionId);
  }

  /** Unexpired access tokens, optionally by user or client. */
  @Get('tokens')
  tokens(@Query() filter: OAuthListFilterDto): Promise<OAuthTokenDto[]> {
    return this.admin.tokensList(filter);
  }

  /** Revokes all of a user's sessions: refresh tokens, access tokens and browser sign-ins. */
  @Delete('users/:user/sessions')
  revokeUser(@Param('user') user: string): Promise<RevokedUserDto> {
    return this.admin.revokeUser(user);
  }

  @Get('metrics')
  metrics(): Promise<OAuthMetricsDto> {
    return this.admin.metrics();
  }
}
