import { Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PublicHandler, PublicRequestInfo } from './public-surface.registry';

/**
 * Hands a public request to the admin Nest application (its Fastify router), in process. Only
 * handlers built with `handler(...)` reach it, so the public listeners expose exactly the
 * paths those handlers match (ACME challenge, OAuth endpoints, the admin hostname), never
 * `/api/v1`, `/docs` or `/health` by Host trickery.
 */
@Injectable()
export class NestAppForwarder {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  forward(req: IncomingMessage, res: ServerResponse): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.routing(req, res);
  }

  /** A public handler that serves the requests `matches` accepts with the Nest application. */
  handler(name: string, priority: number, matches: (info: PublicRequestInfo) => boolean): PublicHandler {
    return { name, priority, matches, handle: (req, res) => this.forward(req, res) };
  }
}
