import { CanActivate, ExecutionContext, ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AppConfig } from '@app/config';
import { bearerCredentials } from '@app/http';
import { ADMIN_TOKEN_NAME, AuthContext } from './auth-context';
import { AUTHENTICATED_ROUTE, AuthenticatedOptions, PUBLIC_ROUTE } from './auth.decorators';
import { secretsEqual } from './token-secrets';
import { TokensRepository } from './tokens.repository';

class BearerChallenge extends UnauthorizedException {
  readonly headers: Record<string, string>;
  constructor(message: string, error?: 'invalid_request' | 'invalid_token') {
    super(message);
    this.headers = { 'WWW-Authenticate': error ? `Bearer realm="api", error="${error}"` : 'Bearer realm="api"' };
  }
}

/**
 * Global guard: every route needs a valid bearer token unless marked @Public(). A route with
 * neither marker is treated as admin-only (and fails the route-inventory test).
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly config: AppConfig,
    private readonly tokens: TokensRepository,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const options = this.reflector.getAllAndOverride<AuthenticatedOptions>(AUTHENTICATED_ROUTE, targets) ?? {
      admin: true,
    };

    const request = context.switchToHttp().getRequest<FastifyRequest & { auth?: AuthContext }>();
    const credentials = bearerCredentials(request.headers.authorization);
    if (credentials.kind === 'absent')
      throw new BearerChallenge('missing bearer token: send "Authorization: Bearer <token>"');
    if (credentials.kind === 'malformed')
      throw new BearerChallenge(
        'malformed Authorization header: send "Authorization: Bearer <token>"',
        'invalid_request',
      );
    const auth = await this.identify(credentials.token);
    if (!auth) throw new BearerChallenge('invalid or revoked token', 'invalid_token');
    // Set before the admin check so a refused call is still attributed to its token (request log).
    request.auth = auth;
    if (options.admin && !auth.isAdmin) throw new ForbiddenException('this operation needs the admin token');
    return true;
  }

  private async identify(token: string): Promise<AuthContext | null> {
    if (secretsEqual(token, this.config.adminToken)) return new AuthContext(ADMIN_TOKEN_NAME, true);
    const record = await this.tokens.findByToken(token);
    return record ? new AuthContext(record.name, false) : null;
  }
}
