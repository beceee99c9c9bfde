import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { canonicalResource, type MembershipSubjects, type ResourceLookup } from '@app/oauth';
import { ProxyTargetsService, type ProxyTargetRecord } from '@app/proxy-targets';
import { ConfigBus } from '@app/redis';
import { compilePolicy, policyProblems, type McpPolicy } from './mcp-policy';
import { endpointOf, ResourceRecord } from './resource.record';
import { ResourcesRepository } from './resources.repository';
import { TARGET_PROTECTION, type ProtectionSettings, type TargetProtectionReader } from './target-protection';

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
  /** Its MCP policy, compiled; absent: none, every MCP call is allowed. */
  policy?: McpPolicy;
}

/** A stored policy that fails validation (a hand edit, or OAUTH_SCOPES shrank): its target is refused, never opened. */
class UnusablePolicy extends Error {}

function servedPolicy(record: ResourceRecord, issuable: readonly string[]): McpPolicy | undefined {
  if (record.policy === undefined) return undefined;
  const problems = policyProblems(record.policy, issuable);
  if (problems.length > 0)
    throw new UnusablePolicy(`the MCP policy of resource ${record.uri} is invalid: ${problems.join('; ')}`);
  return compilePolicy(record.policy);
}

/** What the resource's metadata lists in `scopes_supported`: its scopes, then those its policy's rules require. */
export function supportedScopes(resource: Pick<ServedResource, 'scopes' | 'policy'>): string[] {
  return [...new Set([...resource.scopes, ...(resource.policy?.scopes ?? [])])];
}

/** One protected hostname: its auth settings (as the protection module reads them) and resources (longest endpoint first). */
export interface ProtectedHost<S extends ProtectionSettings = ProtectionSettings> {
  hostname: string;
  /** The target's public base URL (redirect mode's callback lives there). */
  origin: string;
  auth: S;
  resources: ServedResource[];
}

/** The public base URL of a target as clients reach it (https when served over https; PUBLIC_HTTP(S)_PORT). */
export function targetOrigin(target: Pick<ProxyTargetRecord, 'hostname' | 'enable_https'>, config: AppConfig): string {
  return config.publicOrigin(target.enable_https ? 'https' : 'http', target.hostname);
}

interface View<S extends ProtectionSettings> {
  hosts: Map<string, ProtectedHost<S>>;
  allowed: Set<string>;
  /** Per resource URI: the organisations and teams its target or its policy names (only those that name any). */
  subjects: Map<string, MembershipSubjects>;
}

/**
 * A path as a lenient backend may route it: lower case (Express routes case-insensitively by
 * default), `;params` dropped from each segment (Tomcat, Spring), no trailing slash.
 */
export function looseKey(path: string): string {
  return path
    .toLowerCase()
    .replace(/;[^/]*/g, '')
    .replace(/\/+$/, '');
}

/**
 * The in-memory view of protected resources: targets with auth on and their resources from the
 * registry. Rebuilt from Redis when the configuration version moves (ConfigBus); requests and the
 * token endpoint's resource check (it is the OAuth module's `RESOURCE_LOOKUP`) read only this.
 * `S` is the protection module's full settings type; this module reads only `ProtectionSettings`.
 */
@Injectable()
export class ResourceCatalog<S extends ProtectionSettings = ProtectionSettings>
  implements OnModuleInit, OnApplicationBootstrap, ResourceLookup
{
  private readonly logger = new Logger(ResourceCatalog.name);
  private view: View<S> = { hosts: new Map(), allowed: new Set(), subjects: new Map() };
  /** Unreadable settings already logged (`host: problem`), so each is logged once, not on every rebuild. */
  private reported = new Set<string>();

  constructor(
    private readonly bus: ConfigBus,
    private readonly targets: ProxyTargetsService,
    private readonly resources: ResourcesRepository,
    private readonly config: AppConfig,
    @Inject(TARGET_PROTECTION) private readonly protection: TargetProtectionReader<S>,
  ) {}

  onModuleInit(): void {
    this.bus.onChange(() => this.rebuild());
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.rebuild();
  }

  /** The protection of a hostname, when its target exists and has auth enabled. */
  host(hostname: string): ProtectedHost<S> | undefined {
    return this.view.hosts.get(hostname);
  }

  /**
   * True when the path is a resource's endpoint itself (`/mcp`, `/mcp/`; `/` for a root resource), not
   * a path below it; also a spelling a backend may serve as the endpoint (`/MCP`, `/mcp;x`: `looseKey`).
   */
  isEndpoint(protection: ProtectedHost<S>, path: string): boolean {
    const clean = path.replace(/\/+$/, '');
    if (protection.resources.some((r) => r.endpoint === clean)) return true;
    const key = looseKey(path);
    return protection.resources.some((r) => r.endpoint !== '' && looseKey(r.endpoint) === key);
  }

  /**
   * The resource a request path belongs to: the longest endpoint that is the path or a parent of it,
   * as written or as a case-folding or `;params`-dropping backend may read it (`looseKey`): a policy
   * (and the audience) follows the resource wherever the backend would serve it.
   */
  resourceFor(protection: ProtectedHost<S>, path: string): ServedResource | undefined {
    const clean = path.replace(/\/+$/, '');
    const exact = protection.resources.find(
      (r) => r.endpoint === '' || clean === r.endpoint || path.startsWith(`${r.endpoint}/`),
    );
    if (exact) return exact;
    const key = looseKey(path);
    return protection.resources.find((r) => {
      const endpoint = looseKey(r.endpoint);
      return key === endpoint || key.startsWith(`${endpoint}/`);
    });
  }

  /** Every resource URI tokens may be issued for (canonical). */
  allowedResources(): ReadonlySet<string> {
    return this.view.allowed;
  }

  /** RESOURCE_LOOKUP: tokens are issued only for these resources. */
  isAllowed(resource: string): boolean {
    return this.view.allowed.has(resource);
  }

  /** RESOURCE_LOOKUP: the memberships a token for this resource must carry (lower-case). */
  membershipSubjects(resource: string): MembershipSubjects {
    return this.view.subjects.get(resource) ?? NO_SUBJECTS;
  }

  async rebuild(): Promise<void> {
    try {
      const [targets, records] = await Promise.all([this.targets.all(), this.resources.list()]);
      this.view = buildView(targets, records, this.config, this.protection);
      this.reportUnreadable();
    } catch (error) {
      this.logger.error(`protection view rebuild failed, keeping the previous one: ${(error as Error).message}`);
    }
  }

  private reportUnreadable(): void {
    const now = new Set<string>();
    for (const host of this.view.hosts.values()) {
      if (host.auth.unreadable === undefined) continue;
      const line = `auth settings of proxy target ${host.hostname} are unreadable (${host.auth.unreadable}): every request to it is refused until they are set again`;
      now.add(line);
      if (!this.reported.has(line)) this.logger.error(line);
    }
    this.reported = now;
  }
}

export function buildView<S extends ProtectionSettings>(
  targets: readonly ProxyTargetRecord[],
  records: readonly ResourceRecord[],
  config: AppConfig,
  protection: TargetProtectionReader<S>,
): View<S> {
  const hosts = new Map<string, ProtectedHost<S>>();
  const allowed = new Set<string>();
  const subjects = new Map<string, MembershipSubjects>();
  const byTarget = new Map<string, ResourceRecord[]>();
  for (const r of records) byTarget.set(r.proxy_target, [...(byTarget.get(r.proxy_target) ?? []), r]);
  for (const target of targets) {
    const auth = protection.settingsOf(target);
    try {
      addTarget(target, auth, byTarget.get(target.hostname) ?? [], config, hosts, allowed, subjects);
    } catch (error) {
      // A stored record this code cannot read (say, a resource URI that is not a URL) never leaves
      // the target open: with auth on, it is refused as a target with unreadable settings.
      if (!auth?.enabled || !target.enabled) continue;
      const unreadable =
        error instanceof UnusablePolicy
          ? error.message
          : `its registered resources cannot be read (${(error as Error).message})`;
      hosts.set(target.hostname, {
        hostname: target.hostname,
        origin: targetOrigin(target, config),
        auth: { ...auth, unreadable },
        resources: [],
      });
    }
  }
  return { hosts, allowed, subjects };
}

function addTarget<S extends ProtectionSettings>(
  target: ProxyTargetRecord,
  auth: S | null,
  records: readonly ResourceRecord[],
  config: AppConfig,
  hosts: Map<string, ProtectedHost<S>>,
  allowed: Set<string>,
  subjects: Map<string, MembershipSubjects>,
): void {
  const registered = records.map((r): ServedResource => ({
    uri: r.uri,
    endpoint: endpointOf(r.uri),
    name: r.name,
    scopes: r.scopes,
    documentation: r.resource_documentation,
    registered: true,
    policy: servedPolicy(r, config.oauth.scopes),
  }));
  // Registered resources are valid audiences even while auth is off (tokens can be obtained before protection is switched on).
  for (const r of registered) allowed.add(r.uri);
  const on = !!auth?.enabled && target.enabled;
  // Unreadable settings refuse every request: their lists are not read as a requirement either.
  const named = on && auth?.unreadable === undefined ? auth : null;
  for (const r of registered) addSubjects(subjects, r, named);
  if (!on) return;
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
  if (registered.length === 0) addSubjects(subjects, resources[0], named);
  resources.sort((a, b) => b.endpoint.length - a.endpoint.length);
  hosts.set(target.hostname, { hostname: target.hostname, origin: targetOrigin(target, config), auth, resources });
}

const NO_SUBJECTS: MembershipSubjects = Object.freeze({ orgs: Object.freeze([]), teams: Object.freeze([]) });

/** The target's required organisations and teams plus those the resource's policy rules name. */
function addSubjects(
  subjects: Map<string, MembershipSubjects>,
  resource: ServedResource,
  auth: ProtectionSettings | null,
): void {
  const lower = (list: readonly string[] = []) => list.map((s) => s.toLowerCase());
  const orgs = [...new Set([...lower(auth?.required_orgs), ...(resource.policy?.orgs ?? [])])];
  const teams = [...new Set([...lower(auth?.required_teams), ...(resource.policy?.teams ?? [])])];
  if (orgs.length > 0 || teams.length > 0)
    subjects.set(resource.uri, Object.freeze({ orgs: Object.freeze(orgs), teams: Object.freeze(teams) }));
}
