import { Injectable, OnModuleInit } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppConfig } from '@app/config';
import { PublicSurfaceRegistry, type PublicRequestInfo } from '@app/dispatcher';
import { ResourceCatalog, supportedScopes, type ProtectedHost, type ServedResource } from './resource-catalog';
import { PREFLIGHT_HEADERS, RESOURCE_CORS_HEADERS } from './resource-cors';

export const PRM_PATH = '/.well-known/oauth-protected-resource';
export const PRM_PRIORITY = 94;

/** RFC 9728 metadata of one resource; `scopes_supported` includes the scopes its policy's rules require (step-up asks for them). */
export function protectedResourceMetadata(resource: ServedResource, issuer: string): Record<string, unknown> {
  return {
    resource: resource.uri,
    authorization_servers: [issuer],
    scopes_supported: supportedScopes(resource),
    bearer_methods_supported: ['header'],
    resource_name: resource.name,
    ...(resource.documentation ? { resource_documentation: resource.documentation } : {}),
  };
}

/** The resource a metadata path names: path-inserted `/<endpoint>`, or the root (the host's root resource, else its only/first one). */
export function resourceForMetadataPath(protection: ProtectedHost, path: string): ServedResource | undefined {
  const suffix = path.slice(PRM_PATH.length).replace(/\/+$/, '');
  if (suffix === '')
    return protection.resources.find((r) => r.endpoint === '') ?? protection.resources[protection.resources.length - 1];
  return protection.resources.find((r) => r.endpoint === suffix);
}

/**
 * Serves Protected Resource Metadata on every protected hostname, at the root and path-inserted
 * URLs, from the in-memory catalog (the registry is its source), before the target's own backend
 * and without authentication.
 */
@Injectable()
export class ProtectedResourceMetadataHandler implements OnModuleInit {
  constructor(
    private readonly registry: PublicSurfaceRegistry,
    private readonly catalog: ResourceCatalog,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      name: 'oauth-protected-resource',
      priority: PRM_PRIORITY,
      matches: (info: PublicRequestInfo) =>
        (info.path === PRM_PATH || info.path.startsWith(`${PRM_PATH}/`)) &&
        ['GET', 'HEAD', 'OPTIONS'].includes(info.method) &&
        this.catalog.host(info.host) !== undefined,
      handle: (req, res, info) => this.handle(req, res, info),
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse, info: PublicRequestInfo): void {
    if (info.method === 'OPTIONS') {
      res.writeHead(204, PREFLIGHT_HEADERS);
      return void res.end();
    }
    const protection = this.catalog.host(info.host);
    const resource = protection && resourceForMetadataPath(protection, info.path);
    const [status, payload] = resource
      ? [200, protectedResourceMetadata(resource, this.config.oauth.issuer)]
      : [
          404,
          {
            error: 'not_found',
            error_description: `no protected resource at ${info.path.slice(PRM_PATH.length) || '/'} on ${info.host}`,
          },
        ];
    const body = JSON.stringify(payload);
    res.writeHead(status, {
      ...RESOURCE_CORS_HEADERS,
      'content-type': 'application/json',
      'cache-control': 'public, max-age=60',
      'content-length': Buffer.byteLength(body),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}
