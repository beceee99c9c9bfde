import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Put,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clientAddressOfRequest } from '@app/http/client-address';
import { Public } from '@app/tokens';
import { ClientsService, RegisteredClient } from '../clients/clients.service';
import { TokenRevocation } from '../tokens/token-revocation';
import { CORS_HEADERS, NO_STORE } from './http-headers';
import { OAuthExceptionFilter } from './oauth-exception.filter';

/** RFC 7591 registration and RFC 7592 management with the registration access token. */
@ApiExcludeController()
@Public()
@UseFilters(OAuthExceptionFilter)
@Controller('register')
export class OAuthRegistrationController {
  constructor(
    private readonly clients: ClientsService,
    private readonly revocation: TokenRevocation,
  ) {}

  @Post()
  @HttpCode(201)
  register(
    @Body() body: unknown,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RegisteredClient> {
    void reply.headers({ ...NO_STORE, ...CORS_HEADERS });
    return this.clients.register(body, clientAddressOfRequest(req.raw));
  }

  @Get(':client_id')
  read(
    @Param('client_id') clientId: string,
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RegisteredClient> {
    void reply.headers({ ...NO_STORE, ...CORS_HEADERS });
    return this.clients.read(clientId, authorization);
  }

  @Put(':client_id')
  update(
    @Param('client_id') clientId: string,
    @Body() body: unknown,
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RegisteredClient> {
    void reply.headers({ ...NO_STORE, ...CORS_HEADERS });
    return this.clients.update(clientId, authorization, body);
  }

  @Delete(':client_id')
  @HttpCode(204)
  async unregister(
    @Param('client_id') clientId: string,
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    void reply.headers({ ...NO_STORE, ...CORS_HEADERS });
    await this.clients.unregister(clientId, authorization);
    // RFC 7592 §2.3: the client's credentials stop working, and so do the grants it held.
    await this.revocation.revokeClientGrants(clientId);
  }
}
