import { Injectable, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '@app/config';
import { canonicalPath, Conflict, Invalid, isRefusal, NotFound } from '@app/http';
import { canonicalResource, ClientsService } from '@app/oauth';
import { ProxyTargetsService, type ProxyTargetRecord } from '@app/proxy-targets';
import { AuthContext, TokenOwnershipRegistry } from '@app/tokens';
import {
  CreateResourceDto,
  DiscoveryDto,
  ResourceDeletedDto,
  ResourceDto,
  ResourceValidationDto,
  SetTargetResourceDto,
  TargetResourcesDeletedDto,
  UpdateResourceDto,
} from './dto/resource.dto';
import { TargetAuthDeletedDto, TargetAuthDto } from '@app/protection/dto/target-auth.dto';
import { requestTo } from './loopback-http';
import { targetOrigin } from './resource-catalog';
import { PRM_PATH } from './protected-resource-metadata';
import { endpointOf, ResourceRecord } from './resource.record';
import { ResourcesRepository } from './resources.repository';
import { ResourceValidator } from './resource-validator';
import { SetTargetAuthDto } from '@app/protection/dto/set-target-auth.dto';
import { authConfigFrom, authConfigOf, REDIRECT_CALLBACK_PATH } from '@app/protection/target-auth.config';

function canonical(uri: string, field = 'uri'): string {
  try {
    return canonicalResource(uri);
  } catch (error) {
    throw Invalid(`${field}: ${(error as Error).message.replace(/^invalid_target: /, '')}`);
  }
}

/** Requests are matched on their canonical path (docs/security.md): a configured path in another form would never match. */
function checkCanonical(field: string, path: string): void {
  const form = canonicalPath(path);
  if (isRefusal(form)) throw Invalid(`${field}: "${path}": ${form.refused.replace(/^the request path/, 'the path')}`);
  if (form !== path)
    throw Invalid(
      `${field}: "${path}" is not a canonical path (requests are matched after dot segments and escapes are resolved): write "${form}"`,
    );
}

/**
 * The resource registry (`/api/v1/resources`) and the protection sub-resources of proxy targets
 * (`/auth`, `/resource`). The registry is the one source of the protected resource metadata; a
 * target's `/resource` is a view onto its registry entries.
 */
@Injectable()
export class ResourcesService implements OnModuleInit {
  constructor(
    private readonly repository: ResourcesRepository,
    private readonly targets: ProxyTargetsService,
    private readonly ownership: TokenOwnershipRegistry,
    private readonly config: AppConfig,
    private readonly validator: ResourceValidator,
    private readonly clients: ClientsService,
  ) {}

  onModuleInit(): void {
    this.ownership.register({
      kind: 'resources',
      countOwned: async (token) => (await this.repository.list()).filter((r) => r.owner === token).length,
      deleteOwned: async (token) => {
        const owned = (await this.repository.list()).filter((r) => r.owner === token);
        await this.repository.delete(owned);
        return owned.length;
      },
    });
  }

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
    const next: ResourceRecord = {
      ...previous,
      uri,
      proxy_target: target.hostname,
      name: input.name ?? previous.name,
      scopes: input.scopes ?? previous.scopes,
      description: input.description ?? previous.description,
      ...(input.resource_documentation ? { resource_documentation: input.resource_documentation } : {}),
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
      if (!authConfigOf(target.auth)?.enabled) continue;
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

  // ---- target sub-resources ----

  async setTargetAuth(auth: AuthContext, hostname: string, input: SetTargetAuthDto): Promise<TargetAuthDto> {
    const target = await this.targets.require(auth, hostname);
    const config = authConfigFrom(input, this.config.authHostname);
    for (const path of config.excluded_paths) checkCanonical('excluded_paths', path);
    const previous = authConfigOf(target.auth)?.redirect_client_id;
    if (config.mode === 'redirect') config.redirect_client_id = await this.redirectClient(target, previous);
    else if (previous) await this.clients.delete(previous);
    await this.targets.save({ ...target, auth: { ...config } });
    return this.authDto(target.hostname);
  }

  async targetAuth(auth: AuthContext, hostname: string): Promise<TargetAuthDto> {
    const target = await this.targets.require(auth, hostname);
    if (!target.auth) throw NotFound(`auth configuration of proxy target "${target.hostname}"`);
    return this.authDto(target.hostname, target);
  }

  async deleteTargetAuth(auth: AuthContext, hostname: string): Promise<TargetAuthDeletedDto> {
    const target = await this.targets.require(auth, hostname);
    const client = authConfigOf(target.auth)?.redirect_client_id;
    if (client) await this.clients.delete(client);
    await this.targets.save({ ...target, auth: null });
    return { hostname: target.hostname, enabled: false };
  }

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

  /** The redirect mode's OAuth client for a target: kept while its callback URL is unchanged, else registered anew. */
  private async redirectClient(target: ProxyTargetRecord, previous: string | undefined): Promise<string> {
    const callback = `${targetOrigin(target, this.config)}${REDIRECT_CALLBACK_PATH}`;
    if (previous) {
      const existing = await this.clients.find(previous);
      if (existing?.redirect_uris.length === 1 && existing.redirect_uris[0] === callback) return previous;
      await this.clients.delete(previous);
    }
    const client = await this.clients.registerInternal({
      client_name: `Sign-in for ${target.hostname}`,
      redirect_uris: [callback],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
    });
    return client.client_id;
  }

  private async require(auth: AuthContext, id: string): Promise<ResourceRecord> {
    const record = await this.repository.find(id);
    if (!record) throw NotFound(`resource "${id}"`);
    auth.assertOwner(record.owner, `resource "${id}"`);
    return record;
  }

  private checkHost(uri: string, target: ProxyTargetRecord): void {
    const host = new URL(uri).hostname;
    if (host !== target.hostname)
      throw Invalid(
        `uri ${uri} is not on proxy target ${target.hostname}: the resource URI's host must be the target's hostname`,
      );
  }

  private async authDto(hostname: string, record?: ProxyTargetRecord): Promise<TargetAuthDto> {
    const target = record ?? (await this.targets.all()).find((t) => t.hostname === hostname);
    const config = authConfigOf(target?.auth);
    if (!target || !config) throw NotFound(`auth configuration of proxy target "${hostname}"`);
    const resources = (await this.repository.list()).filter((r) => r.proxy_target === hostname).map((r) => r.uri);
    return {
      hostname,
      ...config,
      resources: resources.length > 0 ? resources : [canonicalResource(targetOrigin(target, this.config))],
    };
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
      created_at: r.created_at,
      updated_at: r.updated_at ?? null,
    };
  }
}
