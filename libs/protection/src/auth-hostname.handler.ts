import { Injectable, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { NestAppForwarder, OAUTH_PRIORITY, PublicSurfaceRegistry } from '@app/dispatcher';
import { isOAuthPublicPath } from '@app/oauth';

/** Paths served on AUTH_HOSTNAME on the public listeners: the OAuth endpoints and /verify, nothing else. */
export function isAuthHostnamePath(path: string): boolean {
  return isOAuthPublicPath(path) || path === '/verify';
}

/** Hands the authorization server's endpoints (and /verify) on AUTH_HOSTNAME to the Nest app. */
@Injectable()
export class AuthHostnameHandler implements OnModuleInit {
  constructor(
    private readonly registry: PublicSurfaceRegistry,
    private readonly nest: NestAppForwarder,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const authHostname = this.config.authHostname.toLowerCase();
    this.registry.register(
      this.nest.handler(
        'oauth-authorization-server',
        OAUTH_PRIORITY,
        (info) => info.host === authHostname && isAuthHostnamePath(info.path),
      ),
    );
  }
}
