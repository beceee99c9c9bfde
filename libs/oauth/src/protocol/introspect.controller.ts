import { Body, Controller, Headers, HttpCode, Post, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AppConfig } from '@app/config';
import { bearerToken } from '@app/http';
import { Public, secretsEqual } from '@app/tokens';
import { ClientsService } from '../clients/clients.service';
import { TokenIntrospection } from '../tokens/token-introspection';
import { form } from './form';
import { CORS_HEADERS, NO_STORE } from './http-headers';
import { oauthError } from './oauth-error';
import { OAuthExceptionFilter } from './oauth-exception.filter';

/** /introspect (RFC 7662). */
@ApiExcludeController()
@Public()
@UseFilters(OAuthExceptionFilter)
@Controller()
export class OAuthIntrospectionController {
  constructor(
    private readonly introspection: TokenIntrospection,
    private readonly clients: ClientsService,
    private readonly config: AppConfig,
  ) {}

  /** Callers: a confidential client (its own tokens) or the admin token as a bearer (any token). */
  @Post('introspect')
  @HttpCode(200)
  async introspect(
    @Body() body: unknown,
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, unknown>> {
    void reply.headers({ ...NO_STORE, ...CORS_HEADERS });
    const bearer = bearerToken(authorization);
    if (bearer) {
      if (!secretsEqual(bearer, this.config.adminToken))
        throw oauthError('invalid_token', 'the bearer token may not introspect');
      return this.introspection.introspect(form(body), { admin: true });
    }
    const client = await this.clients.authenticate(form(body), authorization);
    if (client.token_endpoint_auth_method === 'none')
      throw oauthError(
        'invalid_client',
        'introspection needs a confidential client (client_secret_basic or client_secret_post)',
      );
    return this.introspection.introspect(form(body), { client });
  }
}
