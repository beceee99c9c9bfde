import { Injectable, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { NestAppForwarder } from './nest-app-forwarder';
import { PublicSurfaceRegistry } from './public-surface.registry';

/** `/.well-known/acme-challenge/<token>`: token characters only, so no dot segments can sneak through. */
export const ACME_CHALLENGE_PATH = /^\/\.well-known\/acme-challenge\/[A-Za-z0-9_-]+$/;
export const ACME_CHALLENGE_PRIORITY = 100;
export const OAUTH_PRIORITY = 95;
export const ADMIN_HOSTNAME_PRIORITY = 90;

/**
 * The public surface the dispatcher registers itself: the ACME HTTP-01 challenge path on every
 * hostname (served by the certificates module's @Public controller in the Nest app) and, when
 * ADMIN_HOSTNAME is set, everything on that hostname (the admin API, docs, health).
 */
@Injectable()
export class BuiltinPublicHandlers implements OnModuleInit {
  constructor(
    private readonly registry: PublicSurfaceRegistry,
    private readonly nest: NestAppForwarder,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.registry.register(
      this.nest.handler(
        'acme-challenge',
        ACME_CHALLENGE_PRIORITY,
        (info) => (info.method === 'GET' || info.method === 'HEAD') && ACME_CHALLENGE_PATH.test(info.path),
      ),
    );
    const adminHostname = this.config.adminHostname;
    if (adminHostname)
      this.registry.register(
        this.nest.handler('admin-hostname', ADMIN_HOSTNAME_PRIORITY, (info) => info.host === adminHostname),
      );
  }
}
