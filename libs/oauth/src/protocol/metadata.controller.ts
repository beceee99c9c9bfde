import { Controller, Get, HttpCode, Options, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AppConfig } from '@app/config';
import { Public } from '@app/tokens';
import { OAuthSigningKey } from '../tokens/signing-key';
import { CORS_HEADERS } from './http-headers';
import { authorizationServerMetadata } from './metadata';
import { OAuthExceptionFilter } from './oauth-exception.filter';

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
