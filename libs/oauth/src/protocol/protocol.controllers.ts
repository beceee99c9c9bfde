import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Options,
  Param,
  Post,
  Put,
  Query,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '@app/config';
import { bearerToken } from '@app/http';
import { clientAddressOfRequest } from '@app/http/client-address';
import { OAuthMetrics } from '@app/metrics';
import { Public, secretsEqual } from '@app/tokens';
import { ClientsService, RegisteredClient } from '../clients/clients.service';
import { AsCookies } from '../flow/as-cookies';
import { AuthorizationService, FlowStep } from '../flow/authorization.service';
import { consentPage, errorPage } from '../flow/pages';
import { OAuthSigningKey } from '../tokens/signing-key';
import { TokenResponse, TokenService } from '../tokens/token.service';
import { CORS_HEADERS, NO_STORE, PAGE_HEADERS } from './http-headers';
import { authorizationServerMetadata } from './metadata';
import { OAuthError, oauthError } from './oauth-error';
import { OAuthExceptionFilter } from './oauth-exception.filter';

type Form = Record<string, unknown>;
const form = (body: unknown): Form =>
  typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Form) : {};

// The OAuth protocol endpoints are deliberately public (clients and browsers call them without an
// API token) and are documented by RFC 8414 metadata and docs/oauth.md, not in the admin OpenAPI.

/** RFC 8414 metadata (and the OIDC discovery URL MCP clients also try) and the JWKS. */
@ApiExcludeController()
@Public()
@UseFilters(OAuthExceptionFilter)
@Controller()
export class OAuthMetadataController {
  constructor(
    private readonly config: AppConfig,
    private readonly key: OAuthSigningKey,
  ) {}

  @Get(['.well-known/oauth-authorization-server', '.well-known/openid-configuration'])
  metadata(@Res({ passthrough: true }) reply: FastifyReply): Record<string, unknown> {
    void reply.headers({ ...CORS_HEADERS, 'cache-control': 'public, max-age=300' });
    return authorizationServerMetadata(this.config);
  }

  @Get('jwks')
  jwks(@Res({ passthrough: true }) reply: FastifyReply): { keys: unknown[] } {
    void reply.headers({ ...CORS_HEADERS, 'cache-control': 'public, max-age=300' });
    return { keys: [this.key.jwk] };
  }

  @Options([
    '.well-known/oauth-authorization-server',
    '.well-known/openid-configuration',
    'jwks',
    'token',
    'register',
    'register/:client_id',
    'revoke',
    'introspect',
  ])
  @HttpCode(204)
  preflight(@Res({ passthrough: true }) reply: FastifyReply): void {
    void reply.headers(CORS_HEADERS);
  }
}

/** The browser part: /authorize, GitHub's /callback, and the consent page. */
@ApiExcludeController()
@Public()
@UseFilters(OAuthExceptionFilter)
@Controller()
export class OAuthAuthorizeController {
  private readonly cookies: AsCookies;

  constructor(
    private readonly flow: AuthorizationService,
    private readonly config: AppConfig,
  ) {
    this.cookies = new AsCookies(config.oauth.issuer);
  }

  @Get('authorize')
  async authorize(@Query() query: Form, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.send(reply, await this.flow.authorize(query, this.cookies.read(req.headers.cookie, 'session')), 302);
  }

  @Get('callback')
  async callback(@Query() query: Form, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.send(reply, await this.flow.callback(query, this.cookies.read(req.headers.cookie, 'flow')), 302);
  }

  @Get('consent')
  async consent(@Query('id') id: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    this.send(reply, await this.flow.consentPage(id, this.cookies.read(req.headers.cookie, 'session')), 302);
  }

  @Post('consent')
  async decide(@Body() body: unknown, @Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    // Cross-site form posts are refused outright; the CSRF token and session are checked after.
    const origin = req.headers.origin;
    if (origin && origin !== 'null' && origin !== new URL(this.config.oauth.issuer).origin) {
      this.send(
        reply,
        {
          kind: 'page',
          status: 403,
          title: 'Approval refused',
          message: 'The approval form was sent from another site.',
        },
        303,
      );
      return;
    }
    this.send(reply, await this.flow.decide(form(body), this.cookies.read(req.headers.cookie, 'session')), 303);
  }

  private send(reply: FastifyReply, step: FlowStep, redirectStatus: number): void {
    switch (step.kind) {
      case 'redirect': {
        if (step.cookies?.length)
          void reply.header(
            'set-cookie',
            step.cookies.map((c) => this.cookies.serialize(c)),
          );
        void reply.status(redirectStatus).headers({ location: step.location, 'cache-control': 'no-store' }).send();
        return;
      }
      case 'consent':
        void reply.status(200).headers(PAGE_HEADERS).send(consentPage(step.consent));
        return;
      case 'page':
        void reply.status(step.status).headers(PAGE_HEADERS).send(errorPage(step.title, step.message));
        return;
    }
  }
}

/** /token, /revoke (RFC 7009), /introspect (RFC 7662). */
@ApiExcludeController()
@Public()
@UseFilters(OAuthExceptionFilter)
@Controller()
export class OAuthTokenController {
  constructor(
    private readonly tokens: TokenService,
    private readonly clients: ClientsService,
    private readonly config: AppConfig,
    private readonly metrics: OAuthMetrics,
  ) {}

  @Post('token')
  @HttpCode(200)
  async token(
    @Body() body: unknown,
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponse> {
    void reply.headers({ ...NO_STORE, ...CORS_HEADERS });
    const grantType = typeof form(body).grant_type === 'string' ? (form(body).grant_type as string) : 'unknown';
    try {
      const issued = await this.tokens.exchange(form(body), authorization);
      this.metrics.tokenIssued(grantType);
      return issued;
    } catch (error) {
      this.metrics.tokenFailed(error instanceof OAuthError ? error.error : 'server_error');
      throw error;
    }
  }

  @Post('revoke')
  @HttpCode(200)
  async revoke(
    @Body() body: unknown,
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, never>> {
    void reply.headers({ ...NO_STORE, ...CORS_HEADERS });
    await this.tokens.revoke(form(body), authorization);
    return {};
  }

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
      return this.tokens.introspect(form(body), { admin: true });
    }
    const client = await this.clients.authenticate(form(body), authorization);
    if (client.token_endpoint_auth_method === 'none')
      throw oauthError(
        'invalid_client',
        'introspection needs a confidential client (client_secret_basic or client_secret_post)',
      );
    return this.tokens.introspect(form(body), { client });
  }
}

/** RFC 7591 registration and RFC 7592 management with the registration access token. */
@ApiExcludeController()
@Public()
@UseFilters(OAuthExceptionFilter)
@Controller('register')
export class OAuthRegistrationController {
  constructor(
    private readonly clients: ClientsService,
    private readonly tokens: TokenService,
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
    await this.tokens.revokeClientGrants(clientId);
  }
}
