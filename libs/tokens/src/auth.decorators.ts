import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { AuthContext } from './auth-context';

export const PUBLIC_ROUTE = 'auth:public';
export const AUTHENTICATED_ROUTE = 'auth:authenticated';

export interface AuthenticatedOptions {
  /** Only the admin token may call the route. */
  admin?: boolean;
}

/** Deliberately public route: the global guard lets it through without a token. */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/**
 * Bearer-token route. Any valid API token unless `admin: true`; owned resources are checked by the
 * service against the caller's AuthContext. Also declares the Swagger security.
 */
export const Authenticated = (options: AuthenticatedOptions = {}) =>
  applyDecorators(
    SetMetadata(AUTHENTICATED_ROUTE, { admin: options.admin ?? false }),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Missing or invalid bearer token' }),
    ...(options.admin
      ? [ApiForbiddenResponse({ description: 'The admin token is required' })]
      : [ApiForbiddenResponse({ description: 'Not the owner' })]),
  );

/** The caller's identity, set by the bearer guard. */
export const Auth = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthContext => {
  const request = ctx.switchToHttp().getRequest<FastifyRequest & { auth?: AuthContext }>();
  if (!request.auth) throw new Error('Auth() used on a route without @Authenticated()');
  return request.auth;
});
