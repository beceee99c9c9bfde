import { Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { canonicalResource, ResourcePolicy } from '@app/oauth';
import { ProxyTargetsService, type ProxyTargetRecord } from '@app/proxy-targets';
import { ConfigBus } from '@app/redis';
import { endpointOf, ResourceRecord } from './resource.record';
import { ResourcesRepository } from './resources.repository';
import { authConfigOf, type TargetAuthConfig } from '@app/protection/target-auth.config';

/** A resource as the data path serves it. */
export interface ServedResource {
  uri: string;
  /** Path of the URI without trailing slash; '' for the host root. */
  endpoint: string;
  name: string;
  scopes: string[];
  documentation?: string;
  /** False for the implicit root resource of a protected target without registry entries. */
  registered: boolean;
}

/** One protected hostname: its settings and resources (longest endpoint first). */
export interface HostProtection {
  hostname: string;
  /** The target's public base URL (redirect mode's callback lives there). */
  origin: string;
  auth: TargetAuthConfig;
  resources: ServedResource[];
}

/** The public base URL of a target as clients reach it (https when served over https; PUBLIC_HTTP(S)_PORT). */
export function targetOrigin(target: Pick<ProxyTargetRecord, 'hostname' | 'enable_https'>, config: AppConfig): string {
  return config.publicOrigin(target.enable_https ? 'https' : 'http', target.hostname);
}

interface View {
  hosts: Map<string, HostProtection>;
  allowed: Set<string>;
}

/**
 * The in-memory view of protection: targets with auth on and their resources from the registry.
 * Rebuilt from Redis when the configuration version moves (ConfigBus); requests and the token
 * endpoint's resource check read only this. Also installs the registry as the ResourcePolicy.
 */
@Injectable()
export class ProtectionCatalog implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger(ProtectionCatalog.name);
  private view: View = { hosts: new Map(), allowed: new Set() };

  constructor(
    private readonly bus: ConfigBus,
    private readonly targets: ProxyTargetsService,
    private readonly resources: ResourcesRepository,
    private readonly config: AppConfig,
    private readonly policy: ResourcePolicy,
  ) {}

  onModuleInit(): void {
    this.bus.onChange(() => this.rebuild());
    this.policy.use((resource) => this.view.allowed.has(resource));
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.rebuild();
  }

  /** The protection of a hostname, when its target exists and has auth enabled. */
  host(hostname: string): HostProtection | undefined {
    return this.view.hosts.get(hostname);
  }

  /** The resource a request path belongs to: the longest endpoint that is the path or a parent of it. */
  resourceFor(protection: HostProtection, path: string): ServedResource | undefined {
    const clean = path.replace(/\/+$/, '');
    return protection.resources.find(
      (r) => r.endpoint === '' || clean === r.endpoint || path.startsWith(`${r.endpoint}/`),
    );
  }

  /** Every resource URI tokens may be issued for (canonical). */
  allowedResources(): ReadonlySet<string> {
    return this.view.allowed;
  }

  async rebuild(): Promise<void> {
    try {
      const [targets, records] = await Promise.all([this.targets.all(), this.resources.list()]);
      this.view = buildView(targets, records, this.config);
    } catch (error) {
      this.logger.error(`protection view rebuild failed, keeping the previous one: ${(error as Error).message}`);
    }
  }
}

export function buildView(
  targets: readonly ProxyTargetRecord[],
  records: readonly ResourceRecord[],
  config: AppConfig,
): View {
  const hosts = new Map<string, HostProtection>();
  const allowed = new Set<string>();
  const byTarget = new Map<string, ResourceRecord[]>();
  for (const r of records) byTarget.set(r.proxy_target, [...(byTarget.get(r.proxy_target) ?? []), r]);
  for (const target of targets) {
    const auth = authConfigOf(target.auth);
    const registered = (byTarget.get(target.hostname) ?? []).map((r): ServedResource => ({
      uri: r.uri,
      endpoint: endpointOf(r.uri),
      name: r.name,
      scopes: r.scopes,
      documentation: r.resource_documentation,
      registered: true,
    }));
    // Registered resources are valid audiences even while auth is off (tokens can be obtained before protection is switched on).
    for (const r of registered) allowed.add(r.uri);
    if (!auth?.enabled || !target.enabled) continue;
    const resources =
      registered.length > 0
        ? registered
        : [
            {
              uri: canonicalResource(targetOrigin(target, config)),
              endpoint: '',
              name: target.hostname,
              scopes: [],
              registered: false,
            },
          ];
    for (const r of resources) allowed.add(r.uri);
    resources.sort((a, b) => b.endpoint.length - a.endpoint.length);
    hosts.set(target.hostname, { hostname: target.hostname, origin: targetOrigin(target, config), auth, resources });
  }
  return { hosts, allowed };
}
