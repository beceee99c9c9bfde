import { Injectable } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** What the dispatcher knows about a public request before choosing where it goes. */
export interface PublicRequestInfo {
  /** Host header without port, lower-case. */
  host: string;
  /** Canonical path (docs/security.md), without query string: the path that is forwarded. */
  path: string;
  method: string;
  /** The real client address (a trusted balancer's forwarded headers, else the PROXY header, else the TCP peer). */
  clientIp: string;
  /** The client used https: TLS on our listener, or https at a trusted load balancer (FORWARDED_TRUSTED_CIDRS). */
  secure: boolean;
}

/**
 * Something the proxy itself serves on the public listeners (ACME challenges, OAuth endpoints, the
 * admin hostname), consulted by priority before proxy targets and routes.
 */
export interface PublicHandler {
  readonly name: string;
  /** Higher first: ACME challenge 100, OAuth AS endpoints 95. */
  readonly priority: number;
  /** Synchronous and in memory: no Redis on the request path. */
  matches(info: PublicRequestInfo): boolean;
  handle(req: IncomingMessage, res: ServerResponse, info: PublicRequestInfo): void | Promise<void>;
}

/** The handlers of the public surface; modules register theirs at init. */
@Injectable()
export class PublicSurfaceRegistry {
  private handlers: PublicHandler[] = [];

  register(handler: PublicHandler): void {
    if (this.handlers.some((h) => h.name === handler.name))
      throw new Error(`public handler "${handler.name}" is already registered`);
    // Stable: equal priorities keep registration order.
    this.handlers = [...this.handlers, handler].sort((a, b) => b.priority - a.priority);
  }

  /** The first handler (highest priority) that claims the request, if any. */
  find(info: PublicRequestInfo): PublicHandler | undefined {
    return this.handlers.find((h) => h.matches(info));
  }

  list(): readonly PublicHandler[] {
    return this.handlers;
  }
}
