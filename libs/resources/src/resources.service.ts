import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '@app/config';
import { Conflict, DomainError, Invalid, NotFound } from '@app/http';
import { canonicalResource } from '@app/oauth';
import { ProxyTargetsService, type ProxyTargetRecord } from '@app/proxy-targets';
import { AuthContext } from '@app/tokens';
import {
  CreateResourceDto,
  DiscoveryDto,
  McpPolicyDto,
  PolicyDeletedDto,
  ResourceDeletedDto,
  ResourceDto,
  ResourceValidationDto,
  SetTargetResourceDto,
  TargetResourcesDeletedDto,
  UpdateResourceDto,
} from './dto/resource.dto';
import { requestTo } from './loopback-http';
import { policyProblems, type McpPolicyRecord } from './mcp-policy';
import { targetOrigin } from './resource-catalog';
import { PRM_PATH } from './protected-resource-metadata';
import { endpointOf, ResourceRecord } from './resource.record';
import { ResourcesRepository } from './resources.repository';
import { ResourceValidator } from './resource-validator';
import { TARGET_PROTECTION, type TargetProtectionReader } from './target-protection';

function canonical(uri: string, field = 'uri'): string {
  try {
    return canonicalResource(uri);
  } catch (error) {
    throw Invalid(`${field}: ${(error as Error).message.replace(/^invalid_target: /, '')}`);
  }
}

/**
 * The resource registry (`/api/v1/resources`, validate, discover) and the `/resource` sub-resource
 * of proxy targets. The registry is the one source of the protected resource metadata; a target's
 * `/resource` is a view onto its registry entries.
 */
@Injectable()
export class ResourcesService {
  constructor(
    private readonly repository: ResourcesRepository,
    private readonly targets: ProxyTargetsService,
    private readonly config: AppConfig,
    private readonly validator: ResourceValidator,
    @Inject(TARGET_PROTECTION) private readonly protection: TargetProtectionReader,
  ) {}

  // ---- registry ----

  async create(auth: AuthContext, input: CreateResourceDto): Promise<ResourceDto> {
    const target = await this.targets.require(auth, input.proxy_target);
    const uri = canonical(input.uri);
    this.checkHost(uri, target);
    const record: ResourceRecord = {
      id: `res_${randomBytes(8).toString('hex')}`,
      uri,
      name: input.name,
      proxy_target: target.hostname,
      scopes: input.scopes ?? this.config.oauth.scopes,
      description: input.description ?? '',
      ...(input.resource_documentation ? { resource_documentation: input.resource_documentation } : {}),
      ...(input.policy !== undefined ? { policy: this.checkedPolicy(input.policy, 'policy: ') } : {}),
      owner: auth.tokenName,
      created_at: new Date().toISOString(),
    };
    if (!(await this.repository.create(record))) throw Conflict(`resource ${uri} is registered already`);
    return this.toDto(record);
  }

  async list(auth: AuthContext): Promise<ResourceDto[]> {
    return (await this.repository.list()).filter((r) => auth.canAccess(r.owner)).map((r) => this.toDto(r));
  }

  async show(auth: AuthContext, id: string): Promise<ResourceDto> {
    return this.toDto(await this.require(auth, id));
  }

  async update(auth: AuthContext, id: string, input: UpdateResourceDto): Promise<ResourceDto> {
    const previous = await this.require(auth, id);
    const target = await this.targets.require(auth, input.proxy_target ?? previous.proxy_target);
    const uri = input.uri ? canonical(input.uri) : previous.uri;
    this.checkHost(uri, target);
    const { policy: previousPolicy, ...rest } = previous;
    const policy =
      input.policy === undefined ? previousPolicy : input.policy && this.checkedPolicy(input.policy, 'policy: ');
    const next: ResourceRecord = {
      ...rest,
      uri,
      proxy_target: target.hostname,
      name: input.name ?? previous.name,
      scopes: input.scopes ?? previous.scopes,
      description: input.description ?? previous.description,
      ...(input.resource_documentation ? { resource_documentation: input.resource_documentation } : {}),
      ...(policy ? { policy } : {}),
      updated_at: new Date().toISOString(),
    };
    if (!(await this.repository.replace(previous, next))) throw Conflict(`resource ${uri} is registered already`);
    return this.toDto(next);
  }

  async delete(auth: AuthContext, id: string): Promise<ResourceDeletedDto> {
    const record = await this.require(auth, id);
    await this.repository.delete([record]);
    return { id: record.id, deleted: true };
  }

  // ---- the MCP policy (one field of the record: one write, one source) ----

  /** 404 when the resource has none: no policy is not the same as an empty one (which refuses ungoverned requests). */
  async showPolicy(auth: AuthContext, id: string): Promise<McpPolicyDto> {
    const record = await this.require(auth, id);
    if (record.policy === undefined)
      throw new DomainError(
        'not_found',
        `resource "${id}" has no MCP policy: every MCP call is allowed (PUT /api/v1/resources/${id}/policy sets one)`,
      );
    return record.policy;
  }

  async setPolicy(auth: AuthContext, id: string, body: unknown): Promise<McpPolicyDto> {
    const previous = await this.require(auth, id);
    const policy = this.checkedPolicy(body);
    await this.store(previous, { ...previous, policy, updated_at: new Date().toISOString() });
    return policy;
  }

  async deletePolicy(auth: AuthContext, id: string): Promise<PolicyDeletedDto> {
    const previous = await this.require(auth, id);
    if (previous.policy === undefined) return { id, deleted: false };
    const { policy: _removed, ...rest } = previous;
    await this.store(previous, { ...rest, updated_at: new Date().toISOString() });
    return { id, deleted: true };
  }

  async validate(auth: AuthContext, id: string): Promise<ResourceValidationDto> {
    const record = await this.require(auth, id);
    const target = (await this.targets.all()).find((t) => t.hostname === record.proxy_target) ?? null;
    return this.validator.validate(record, target);
  }

  /**
   * Registers the caller's protected targets that have no registry entry: the backend's own
   * metadata (`/.well-known/oauth-protected-resource` at the backend, RFC 9728) gives the endpoint
   * and scopes; targets whose backend publishes none are reported as skipped.
   */
  async discover(auth: AuthContext): Promise<DiscoveryDto> {
    const registered = new Set((await this.repository.list()).map((r) => r.proxy_target));
    const result: DiscoveryDto = { discovered: [], skipped: [] };
    for (const target of (await this.targets.all()).filter((t) => auth.canAccess(t.owner))) {
      if (registered.has(target.hostname)) continue;
      if (!this.protection.settingsOf(target)?.enabled) continue;
      type Metadata = { resource?: unknown; scopes_supported?: unknown; resource_name?: unknown };
      let metadata = null as Metadata | null;
      let why = '';
      for (const path of [`${PRM_PATH}/mcp`, PRM_PATH]) {
        try {
          const res = await requestTo(new URL(path, target.target_url), {
            timeoutMs: 3000,
            headers: { accept: 'application/json' },
          });
          if (res.status === 200) {
            metadata = JSON.parse(res.body) as Metadata;
            break;
          }
          why = `the backend answers HTTP ${res.status} at ${path}`;
        } catch (error) {
          why = `the backend did not answer: ${(error as Error).message}`;
        }
      }
      if (!metadata || typeof metadata.resource !== 'string') {
        result.skipped.push({
          hostname: target.hostname,
          reason: metadata ? 'the backend metadata has no resource' : why,
        });
        continue;
      }
      let endpoint: string;
      try {
        endpoint = endpointOf(metadata.resource);
      } catch {
        result.skipped.push({
          hostname: target.hostname,
          reason: `the backend metadata names an invalid resource ${metadata.resource}`,
        });
        continue;
      }
      const scopes = Array.isArray(metadata.scopes_supported)
        ? metadata.scopes_supported.filter((s): s is string => typeof s === 'string')
        : undefined;
      const created = await this.create(auth, {
        uri: `${targetOrigin(target, this.config)}${endpoint}`,
        name: typeof metadata.resource_name === 'string' ? metadata.resource_name : target.hostname,
        proxy_target: target.hostname,
        scopes,
        description: `discovered from ${target.target_url}`,
      });
      result.discovered.push(created);
    }
    return result;
  }

  // ---- the target's /resource sub-resource ----

  /** Creates or replaces the registry entry of the target for `endpoint`. */
  async setTargetResource(auth: AuthContext, hostname: string, input: SetTargetResourceDto): Promise<ResourceDto> {
    const target = await this.targets.require(auth, hostname);
    const uri = canonical(`${targetOrigin(target, this.config)}${input.endpoint ?? '/mcp'}`, 'endpoint');
    const existing = (await this.repository.list()).find((r) => r.uri === uri);
    const fields = {
      uri,
      name: input.name ?? existing?.name ?? target.hostname,
      proxy_target: target.hostname,
      scopes: input.scopes ?? existing?.scopes ?? ['mcp:read', 'mcp:write'],
      description: input.description ?? existing?.description ?? '',
      resource_documentation: input.resource_documentation,
    };
    return existing ? this.update(auth, existing.id, fields) : this.create(auth, fields);
  }

  async targetResources(auth: AuthContext, hostname: string): Promise<ResourceDto[]> {
    const target = await this.targets.require(auth, hostname);
    return (await this.repository.list()).filter((r) => r.proxy_target === target.hostname).map((r) => this.toDto(r));
  }

  async deleteTargetResources(auth: AuthContext, hostname: string): Promise<TargetResourcesDeletedDto> {
    const target = await this.targets.require(auth, hostname);
    const records = (await this.repository.list()).filter((r) => r.proxy_target === target.hostname);
    await this.repository.delete(records);
    return { hostname: target.hostname, deleted: records.length };
  }

  // ---- helpers ----

  private async require(auth: AuthContext, id: string): Promise<ResourceRecord> {
    const record = await this.repository.find(id);
    if (!record) throw NotFound(`resource "${id}"`);
    auth.assertOwner(record.owner, `resource "${id}"`);
    return record;
  }

  private async store(previous: ResourceRecord, next: ResourceRecord): Promise<void> {
    if (!(await this.repository.replace(previous, next))) throw Conflict(`resource ${next.uri} is registered already`);
  }

  /** The policy as stored (only its known fields), or 400 listing every problem, each naming its rule. */
  private checkedPolicy(value: unknown, prefix = ''): McpPolicyRecord {
    const problems = policyProblems(value, this.config.oauth.scopes);
    if (problems.length > 0) throw Invalid(problems.map((p) => `${prefix}${p}`).join('; '));
    const { default: fallback, metric_names, rules } = value as McpPolicyRecord;
    return {
      ...(fallback !== undefined ? { default: fallback } : {}),
      ...(metric_names !== undefined ? { metric_names } : {}),
      rules,
    };
  }

  private checkHost(uri: string, target: ProxyTargetRecord): void {
    const host = new URL(uri).hostname;
    if (host !== target.hostname)
      throw Invalid(
        `uri ${uri} is not on proxy target ${target.hostname}: the resource URI's host must be the target's hostname`,
      );
  }

  private toDto(r: ResourceRecord): ResourceDto {
    const origin = new URL(r.uri).origin;
    return {
      id: r.id,
      uri: r.uri,
      name: r.name,
      proxy_target: r.proxy_target,
      scopes: r.scopes,
      description: r.description,
      resource_documentation: r.resource_documentation ?? null,
      owner: r.owner,
      metadata_url: `${origin}${PRM_PATH}${endpointOf(r.uri)}`,
      policy: r.policy ?? null,
      created_at: r.created_at,
      updated_at: r.updated_at ?? null,
    };
  }
}
