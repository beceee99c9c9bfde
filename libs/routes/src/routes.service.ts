import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { randomBytes } from 'node:crypto';
import { Forbidden, Invalid, NotFound } from '@app/http';
import { InstancesService } from '@app/instances';
import { normalizeHostname, ProxyTargetRouteSettingsDto, ProxyTargetsService } from '@app/proxy-targets';
import { AuthContext } from '@app/tokens';
import { CreateRouteDto, HTTP_METHODS, RouteDeletedDto, RouteDto, UpdateRouteDto } from './dto/route.dto';
import { compileRoutes } from './route-selection';
import { patternProblem } from './route-pattern';
import { RouteRecord } from './route.record';
import { RoutesRepository } from './routes.repository';

const URL_TARGET = /^https?:\/\/[^\s/?#]+(\/[^\s]*)?$/i;

@Injectable()
export class RoutesService {
  constructor(
    private readonly repository: RoutesRepository,
    private readonly targets: ProxyTargetsService,
    private readonly instances: InstancesService,
    private readonly config: AppConfig,
  ) {}

  /** Every route (dispatcher view). */
  all(): Promise<RouteRecord[]> {
    return this.repository.list();
  }

  /** Routes visible to the caller in table order (priority descending, then creation order). */
  async list(auth: AuthContext): Promise<RouteDto[]> {
    const records = (await this.repository.list()).filter(
      (r) => auth.isAdmin || r.scope === 'global' || auth.canAccess(r.owner),
    );
    const ordered = [
      ...compileRoutes(records).map((c) => c.record),
      ...records.filter((r) => !r.enabled).sort((a, b) => b.priority - a.priority || a.created_seq - b.created_seq),
    ];
    return ordered.map(toDto);
  }

  async show(auth: AuthContext, id: string): Promise<RouteDto> {
    const record = await this.find(id);
    if (!auth.isAdmin && record.scope !== 'global') auth.assertOwner(record.owner, `route "${id}"`);
    return toDto(record);
  }

  async create(auth: AuthContext, input: CreateRouteDto): Promise<RouteDto> {
    const record: RouteRecord = {
      route_id: randomBytes(6).toString('hex'),
      path_pattern: input.path_pattern,
      is_regex: input.is_regex ?? false,
      target_type: input.target_type,
      target_value: input.target_value,
      priority: input.priority ?? 50,
      methods: [],
      scope: input.scope ?? 'global',
      proxy_hostnames: [],
      enabled: input.enabled ?? true,
      bypass_auth: input.bypass_auth ?? false,
      description: input.description ?? '',
      owner: auth.tokenName,
      created_seq: 0,
      created_at: new Date().toISOString(),
    };
    await this.applyChecked(auth, record, input);
    record.created_seq = await this.repository.nextSequence();
    await this.repository.create(record);
    return toDto(record);
  }

  async update(auth: AuthContext, id: string, input: UpdateRouteDto): Promise<RouteDto> {
    const previous = await this.requireOwned(auth, id);
    const next: RouteRecord = { ...previous, updated_at: new Date().toISOString() };
    for (const [key, value] of Object.entries(input)) {
      if (value !== undefined && key !== 'methods' && key !== 'proxy_hostnames')
        (next as unknown as Record<string, unknown>)[key] = value;
    }
    await this.applyChecked(auth, next, input);
    await this.repository.replace(next);
    return toDto(next);
  }

  async delete(auth: AuthContext, id: string): Promise<RouteDeletedDto> {
    await this.requireOwned(auth, id);
    await this.repository.delete([id]);
    return { route_id: id, deleted: true };
  }

  async routeSettings(auth: AuthContext, hostname: string): Promise<ProxyTargetRouteSettingsDto> {
    return this.targets.routeSettings(await this.targets.require(auth, hostname));
  }

  async setRouteSettings(
    auth: AuthContext,
    hostname: string,
    input: ProxyTargetRouteSettingsDto,
  ): Promise<ProxyTargetRouteSettingsDto> {
    const target = await this.targets.require(auth, hostname);
    const known = new Set((await this.repository.list()).map((r) => r.route_id));
    for (const id of [...(input.enabled_routes ?? []), ...(input.disabled_routes ?? [])]) {
      if (!known.has(id)) throw Invalid(`route "${id}" does not exist`);
    }
    const next = {
      ...target,
      route_mode: input.route_mode,
      enabled_routes: input.enabled_routes ?? target.enabled_routes,
      disabled_routes: input.disabled_routes ?? target.disabled_routes,
    };
    await this.targets.save(next);
    return this.targets.routeSettings(next);
  }

  /** Enables (or disables) one route on one target: kept in both lists so switching route_mode keeps the intent. */
  async toggleRoute(
    auth: AuthContext,
    hostname: string,
    id: string,
    enable: boolean,
  ): Promise<ProxyTargetRouteSettingsDto> {
    const target = await this.targets.require(auth, hostname);
    await this.find(id);
    const without = (list: string[]) => list.filter((x) => x !== id);
    const next = {
      ...target,
      enabled_routes: enable ? [...without(target.enabled_routes), id] : without(target.enabled_routes),
      disabled_routes: enable ? without(target.disabled_routes) : [...without(target.disabled_routes), id],
    };
    await this.targets.save(next);
    return this.targets.routeSettings(next);
  }

  private async find(id: string): Promise<RouteRecord> {
    const record = await this.repository.find(id);
    if (!record) throw NotFound(`route "${id}"`);
    return record;
  }

  private async requireOwned(auth: AuthContext, id: string): Promise<RouteRecord> {
    const record = await this.find(id);
    auth.assertOwner(record.owner, `route "${id}"`);
    return record;
  }

  /** Validates the combined record; normalises methods and hostnames from `input` into it. */
  private async applyChecked(auth: AuthContext, record: RouteRecord, input: UpdateRouteDto): Promise<void> {
    const problem = patternProblem(record.path_pattern, record.is_regex);
    if (problem) throw Invalid(problem);
    if (input.methods !== undefined) {
      const methods = [...new Set(input.methods.map((m) => m.trim().toUpperCase()))];
      const unknown = methods.filter((m) => !(HTTP_METHODS as readonly string[]).includes(m));
      if (unknown.length > 0)
        throw Invalid(`methods: unknown HTTP method ${unknown.join(', ')}; use ${HTTP_METHODS.join(', ')}`);
      record.methods = methods;
    }
    if (input.proxy_hostnames !== undefined) {
      record.proxy_hostnames = input.proxy_hostnames.map((h) => {
        const hostname = normalizeHostname(h);
        if (!hostname) throw Invalid(`proxy_hostnames: "${h}" is not a DNS name`);
        return hostname;
      });
    }
    if (record.scope === 'proxy' && record.proxy_hostnames.length === 0)
      throw Invalid('scope "proxy" needs at least one entry in proxy_hostnames');
    auth.assertMayClaim(this.config.reservedHostnames, record.proxy_hostnames);
    if (record.scope === 'global' && !auth.isAdmin)
      throw Forbidden(
        'global routes apply to every hostname and need the admin token; use scope "proxy" with your own proxy_hostnames',
      );
    if (record.scope === 'proxy' && !auth.isAdmin) {
      // A route may only steer traffic of hostnames its creator owns.
      for (const hostname of record.proxy_hostnames) await this.targets.require(auth, hostname);
    }
    await this.checkTarget(auth, record);
    if (record.target_type === 'hostname') {
      auth.assertMayClaim(this.config.reservedHostnames, [record.target_value]);
      // Another tenant's target (and its backend, which its auth policy guards) is not a route's to reach.
      if (!auth.isAdmin) await this.targets.require(auth, record.target_value);
    }
  }

  private async checkTarget(auth: AuthContext, record: RouteRecord): Promise<void> {
    const value = record.target_value.trim();
    record.target_value = value;
    switch (record.target_type) {
      case 'port': {
        const port = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
        if (!(port >= 1 && port <= 65535))
          throw Invalid('target_value must be a port number 1-65535 when target_type is "port"');
        return;
      }
      case 'url':
        if (!URL_TARGET.test(value) || !URL.canParse(value))
          throw Invalid('target_value must be an http:// or https:// URL when target_type is "url"');
        return;
      case 'instance':
        if (!(await this.instances.all()).some((i) => i.name === value))
          throw Invalid(`instance "${value}" is not registered (POST /api/v1/instances first)`);
        // Like a target: another token's instance (a backend it may protect elsewhere) is not a route's to reach.
        if (!auth.isAdmin && !(await this.instances.list(auth)).some((i) => i.name === value))
          throw Forbidden(`instance "${value}" belongs to another token`);
        return;
      case 'hostname': {
        const hostname = normalizeHostname(value);
        if (!hostname) throw Invalid('target_value must be a proxy target hostname when target_type is "hostname"');
        record.target_value = hostname;
        return;
      }
    }
  }
}

function toDto(r: RouteRecord): RouteDto {
  return {
    route_id: r.route_id,
    path_pattern: r.path_pattern,
    is_regex: r.is_regex,
    target_type: r.target_type,
    target_value: r.target_value,
    priority: r.priority,
    methods: r.methods,
    scope: r.scope,
    proxy_hostnames: r.proxy_hostnames,
    enabled: r.enabled,
    bypass_auth: r.bypass_auth,
    description: r.description,
    owner: r.owner,
    created_seq: r.created_seq,
    created_at: r.created_at,
    updated_at: r.updated_at ?? null,
  };
}
