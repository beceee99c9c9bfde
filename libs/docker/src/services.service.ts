import { Inject, Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '@app/config';
import { Conflict, DomainError, Forbidden, Invalid, NotFound } from '@app/http';
import { BindAddress, PortAllocationRecord, PortsService } from '@app/ports';
import { AuthContext, TokenOwnershipRegistry } from '@app/tokens';
import {
  containerName,
  ENV_NAME_PATTERN,
  imageAllowed,
  LABEL_KEY_PATTERN,
  MAX_MEMORY_BYTES,
  MIN_MEMORY_BYTES,
  parseMemoryLimit,
  RESERVED_LABEL_PREFIX,
} from './container-rules';
import { AddServicePortDto, CreateServiceDto, PortConfigDto, ServiceDeletedDto, ServiceDto } from './dto/service.dto';
import { EXTERNAL_SERVICE_REGISTRY, ExternalServiceRegistry } from './external-service.registry';
import { ServiceContainers } from './service-containers';
import { failureError, isSettled, lifecycle, ServiceLifecycle } from './service-lifecycle';
import { SERVICE_PROXY_PUBLISHER, ServiceProxyPublisher } from './service-proxy.publisher';
import { ServicePortRecord, ServiceRecord, serviceTargetUrl } from './service.record';
import { ServicesRepository } from './services.repository';

/** Names that are API paths under /api/v1/services. */
export const RESERVED_SERVICE_NAMES = ['external', 'reconciliation', 'cleanup'];

const PROXY_UNAVAILABLE =
  'proxy targets are not available in this server build (no ServiceProxyPublisher is bound); create the service without auto_proxy';

/** Docker services: validation and policy, records, ports, containers, and the proxy seam. */
@Injectable()
export class ServicesService implements OnModuleInit {
  constructor(
    private readonly services: ServicesRepository,
    private readonly containers: ServiceContainers,
    private readonly ports: PortsService,
    private readonly config: AppConfig,
    private readonly ownership: TokenOwnershipRegistry,
    private readonly lifecycle: ServiceLifecycle,
    @Inject(EXTERNAL_SERVICE_REGISTRY) private readonly external: ExternalServiceRegistry,
    @Optional() @Inject(SERVICE_PROXY_PUBLISHER) private readonly proxy?: ServiceProxyPublisher,
  ) {}

  onModuleInit(): void {
    this.ownership.register({
      kind: 'services',
      countOwned: async (owner) => (await this.services.list()).filter((s) => s.owner === owner).length,
      deleteOwned: async (owner) => {
        const owned = (await this.services.list()).filter((s) => s.owner === owner);
        for (const record of owned) await this.destroy(record, { deleteProxy: true, deleteCertificate: false });
        return owned.length;
      },
    });
  }

  get proxyAvailable(): boolean {
    return this.proxy !== undefined;
  }

  /**
   * Validates the request, stores the record (`requested`, ports allocated) and publishes
   * `container.requested`; the workers of any replica make, start and proxy the container. Every
   * refusal happens here, before anything is stored (or with everything undone).
   */
  async create(auth: AuthContext, input: CreateServiceDto): Promise<ServiceRecord> {
    const record = this.validate(auth, input);
    if (input.auto_proxy) auth.assertMayClaim(this.config.reservedHostnames, [this.hostnameFor(record.name)]);
    const portConfigs =
      input.port_configs ?? (input.internal_port ? [{ name: 'main', container: input.internal_port }] : []);
    const names = new Set<string>();
    for (const p of portConfigs) {
      if (names.has(p.name)) throw Invalid(`port_configs: the name "${p.name}" is used twice`);
      names.add(p.name);
      this.ports.assertBindAllowed(auth, p.bind ?? input.bind_address ?? '127.0.0.1');
    }
    if (input.auto_proxy && !this.proxy) throw new DomainError('unavailable', PROXY_UNAVAILABLE);
    if (input.auto_proxy && !record.internal_port && portConfigs.length === 0)
      throw Invalid('auto_proxy needs internal_port (the container port the proxy forwards to)');
    if (await this.external.find(record.name))
      throw Conflict(`an external service named "${record.name}" already exists`);

    await this.containers.ping();
    await this.containers.assertImagePresent(record.image);
    if (record.network) await this.containers.assertNetworkExists(record.network);
    if (!(await this.services.create(record))) {
      const existing = await this.services.find(record.name);
      const failed =
        existing?.lifecycle.state === 'failed' ? ` (it failed: ${existing.lifecycle.reason}; delete it first)` : '';
      throw Conflict(`a service named "${record.name}" already exists${failed}`);
    }
    try {
      for (const p of portConfigs) record.ports.push(await this.allocatePort(record, p, input.bind_address));
      record.internal_port ??= record.ports[0]?.container_port;
      await this.services.update(record);
      await this.lifecycle.request(record);
    } catch (error) {
      // Nothing half-made stays behind: ports, record.
      await this.ports.release(record.ports.map((p) => p.host_port)).catch(() => 0);
      await this.services.delete(record.name).catch(() => undefined);
      throw error;
    }
    return record;
  }

  /**
   * Creates the service, then waits up to `waitSeconds` until its lifecycle settles on whichever
   * replica runs it. `settled` false: still in progress (the API answers 202). A failed lifecycle
   * throws the failure with its reason.
   */
  async createAndWait(
    auth: AuthContext,
    input: CreateServiceDto,
    waitSeconds: number,
  ): Promise<{ service: ServiceDto; settled: boolean }> {
    const requested = await this.create(auth, input);
    const record = waitSeconds > 0 ? await this.lifecycle.waitUntilSettled(requested, waitSeconds) : requested;
    if (record.lifecycle.state === 'failed') throw failureError(record);
    return { service: await this.describe(record), settled: isSettled(record) };
  }

  async list(auth: AuthContext): Promise<ServiceDto[]> {
    const records = (await this.services.list()).filter((s) => auth.canAccess(s.owner));
    return Promise.all(records.map((r) => this.describe(r)));
  }

  async show(auth: AuthContext, name: string): Promise<ServiceDto> {
    return this.describe(await this.require(auth, name));
  }

  async start(auth: AuthContext, name: string): Promise<ServiceDto> {
    const record = await this.requireWithContainer(auth, name);
    await this.containers.start(record.container_id!, name);
    return this.describe(record);
  }

  async stop(auth: AuthContext, name: string): Promise<ServiceDto> {
    const record = await this.requireWithContainer(auth, name);
    await this.containers.stop(record.container_id!, name);
    return this.describe(record);
  }

  async restart(auth: AuthContext, name: string): Promise<ServiceDto> {
    const record = await this.requireWithContainer(auth, name);
    await this.containers.restart(record.container_id!, name);
    return this.describe(record);
  }

  async delete(
    auth: AuthContext,
    name: string,
    options: { deleteProxy: boolean; deleteCertificate: boolean },
  ): Promise<ServiceDeletedDto> {
    return this.destroy(await this.require(auth, name), options);
  }

  /** Creates `<name>.<BASE_DOMAIN>` → the service through the proxy-targets seam. */
  async publishProxy(auth: AuthContext, name: string): Promise<ServiceDto> {
    const proxy = this.proxy;
    if (!proxy)
      throw new DomainError('unavailable', PROXY_UNAVAILABLE.replace('; create the service without auto_proxy', ''));
    auth.assertMayClaim(this.config.reservedHostnames, [this.hostnameFor(name)]);
    const record = await this.locked(auth, name, async (record) => {
      const target = this.targetUrl(record);
      if (!target)
        throw Invalid(
          `service "${name}" publishes no port for the proxy to reach; add one with POST /api/v1/services/${name}/ports`,
        );
      const hostname = this.hostnameFor(name);
      await proxy.publish(record.owner, hostname, target);
      record.proxy_hostname = hostname;
      if (record.lifecycle.state === 'started') record.lifecycle = lifecycle('proxied');
      await this.services.update(record);
      return record;
    });
    return this.describe(record);
  }

  async listPorts(auth: AuthContext, name: string): Promise<PortAllocationRecord[]> {
    await this.require(auth, name);
    return this.ports.forService(name);
  }

  /** Publishes one more port: Docker cannot add a binding to a container, so it is recreated. */
  async addPort(auth: AuthContext, name: string, input: AddServicePortDto): Promise<PortAllocationRecord> {
    return this.locked(auth, name, (record) => this.addPortLocked(auth, record, input));
  }

  private async addPortLocked(
    auth: AuthContext,
    record: ServiceRecord,
    input: AddServicePortDto,
  ): Promise<PortAllocationRecord> {
    const name = record.name;
    this.assertHasContainer(record);
    if (record.ports.some((p) => p.name === input.name))
      throw Conflict(`service "${name}" already has a port named "${input.name}"`);
    this.ports.assertBindAllowed(auth, input.bind ?? '127.0.0.1');
    await this.containers.ping();
    const port = await this.allocatePort(record, input, undefined);
    try {
      await this.recreate({ ...record, ports: [...record.ports, port] });
    } catch (error) {
      await this.ports.release([port.host_port]);
      throw error;
    }
    return (await this.ports.forService(name)).find((p) => p.port === port.host_port)!;
  }

  async removePort(auth: AuthContext, name: string, portName: string): Promise<PortAllocationRecord> {
    return this.locked(auth, name, (record) => this.removePortLocked(record, portName));
  }

  private async removePortLocked(record: ServiceRecord, portName: string): Promise<PortAllocationRecord> {
    const name = record.name;
    this.assertHasContainer(record);
    const port = record.ports.find((p) => p.name === portName);
    if (!port) throw NotFound(`port "${portName}" of service "${name}"`);
    const allocation = (await this.ports.forService(name)).find((p) => p.port === port.host_port);
    await this.containers.ping();
    await this.recreate({ ...record, ports: record.ports.filter((p) => p !== port) });
    await this.ports.release([port.host_port]);
    return (
      allocation ?? {
        port: port.host_port,
        bind_address: port.bind_address,
        protocol: port.protocol,
        owner: record.owner,
        service: name,
        name: portName,
        allocated_at: record.created_at,
      }
    );
  }

  /**
   * Removes the container, the ports, the proxy (through the seam) and the record, in any lifecycle
   * state: under the service's lock, so a worker's step on another replica finishes first (and then
   * finds no record) or starts after (and finds none). Publishes `container.deleted`.
   */
  async destroy(
    record: ServiceRecord,
    options: { deleteProxy: boolean; deleteCertificate: boolean },
  ): Promise<ServiceDeletedDto> {
    const result = await this.lifecycle.withLock(record.name, async () => {
      const current = await this.services.find(record.name);
      if (!current) throw NotFound(`service "${record.name}"`);
      return this.teardown(current, options);
    });
    await this.lifecycle.deleted({ ...result, generation: record.generation });
    return result;
  }

  private async teardown(
    record: ServiceRecord,
    options: { deleteProxy: boolean; deleteCertificate: boolean },
  ): Promise<ServiceDeletedDto> {
    const containerRemoved = await this.containers.remove(record.container_id ?? record.container_name);
    let proxy: ServiceDeletedDto['proxy'] = 'none';
    if (record.proxy_hostname) {
      if (!options.deleteProxy) proxy = 'kept';
      else if (!this.proxy) proxy = 'unavailable';
      else {
        await this.proxy.unpublish(record.proxy_hostname, { deleteCertificate: options.deleteCertificate });
        proxy = 'deleted';
      }
    }
    const allocated = (await this.ports.forService(record.name)).map((p) => p.port);
    await this.ports.release(allocated);
    await this.services.delete(record.name);
    return { service_name: record.name, container_removed: containerRemoved, ports_released: allocated, proxy };
  }

  /** Records by name for the reconciler (no ownership filter). */
  allRecords(): Promise<ServiceRecord[]> {
    return this.services.list();
  }

  targetUrl(record: ServiceRecord): string | null {
    return serviceTargetUrl(record);
  }

  private hostnameFor(name: string): string {
    return `${name}.${this.config.baseDomain}`;
  }

  private async recreate(next: ServiceRecord): Promise<void> {
    const running = (await this.containers.state(next.container_id)) === 'running';
    await this.containers.remove(next.container_id ?? next.container_name);
    next.container_id = await this.containers.create(next, running);
    await this.services.update(next);
  }

  private async allocatePort(
    record: ServiceRecord,
    config: PortConfigDto,
    defaultBind: BindAddress | undefined,
  ): Promise<ServicePortRecord> {
    const bind = config.bind ?? defaultBind ?? '127.0.0.1';
    const protocol = config.protocol ?? 'tcp';
    const allocation = await this.ports.allocate({
      owner: record.owner,
      bindAddress: bind,
      protocol,
      port: config.host,
      service: record.name,
      name: config.name,
      containerPort: config.container,
    });
    return {
      name: config.name,
      container_port: config.container,
      host_port: allocation.port,
      bind_address: bind,
      protocol,
    };
  }

  private validate(auth: AuthContext, input: CreateServiceDto): ServiceRecord {
    if (RESERVED_SERVICE_NAMES.includes(input.service_name))
      throw Invalid(`service_name "${input.service_name}" is reserved (an API path); choose another`);
    const allowlist = this.config.dockerImageAllowlist;
    if (!imageAllowed(input.image, allowlist)) {
      throw Forbidden(
        allowlist.length === 0
          ? `image "${input.image}" is not allowed: DOCKER_IMAGE_ALLOWLIST is empty, so no image is`
          : `image "${input.image}" is not allowed: it matches none of DOCKER_IMAGE_ALLOWLIST (${allowlist.join(', ')})`,
      );
    }
    if (input.memory_limit !== undefined) {
      const bytes = parseMemoryLimit(input.memory_limit);
      if (bytes === null || bytes < MIN_MEMORY_BYTES || bytes > MAX_MEMORY_BYTES)
        throw Invalid(`memory_limit must be between 6m and 1024g (got "${input.memory_limit}")`);
    }
    const environment = input.environment ?? {};
    for (const [key, value] of Object.entries(environment)) {
      if (!ENV_NAME_PATTERN.test(key))
        throw Invalid(
          `environment: "${key}" is not a valid variable name (letters, digits, _; not starting with a digit)`,
        );
      if (typeof value !== 'string') throw Invalid(`environment.${key} must be a string`);
    }
    const labels = input.labels ?? {};
    for (const [key, value] of Object.entries(labels)) {
      if (!LABEL_KEY_PATTERN.test(key)) throw Invalid(`labels: "${key}" is not a valid label key`);
      if (key.startsWith(RESERVED_LABEL_PREFIX))
        throw Invalid(`labels: keys starting with ${RESERVED_LABEL_PREFIX} are set by the server`);
      if (typeof value !== 'string') throw Invalid(`labels.${key} must be a string`);
    }
    if (input.capabilities?.length && !auth.isAdmin) throw Forbidden('adding capabilities needs the admin token');
    return {
      name: input.service_name,
      owner: auth.tokenName,
      image: input.image,
      command: input.command,
      environment,
      labels,
      memory_limit: input.memory_limit,
      cpu_limit: input.cpu_limit,
      restart_policy: input.restart_policy ?? 'unless-stopped',
      read_only_root: input.read_only_root ?? true,
      user: input.user,
      cap_drop: input.cap_drop ?? ['ALL'],
      capabilities: input.capabilities ?? [],
      network: this.config.dockerNetwork,
      internal_port: input.internal_port,
      ports: [],
      container_name: containerName(this.config.redisKeyPrefix, input.service_name),
      lifecycle: lifecycle('requested'),
      generation: randomBytes(8).toString('hex'),
      auto_proxy: input.auto_proxy ?? false,
      start: input.start ?? true,
      created_at: new Date().toISOString(),
    };
  }

  private async require(auth: AuthContext, name: string): Promise<ServiceRecord> {
    const record = await this.services.find(name);
    if (!record) throw NotFound(`service "${name}"`);
    auth.assertOwner(record.owner, `service "${name}"`);
    return record;
  }

  private async requireWithContainer(auth: AuthContext, name: string): Promise<ServiceRecord> {
    const record = await this.require(auth, name);
    this.assertHasContainer(record);
    return record;
  }

  private assertHasContainer(record: ServiceRecord): void {
    const { state, reason } = record.lifecycle;
    if (!record.container_id || state === 'requested' || state === 'failed') {
      throw Conflict(`service "${record.name}" has no container (lifecycle ${state}${reason ? `: ${reason}` : ''})`);
    }
  }

  /** Runs a change of the record under the service's lock (never beside a worker's step), on the record read under it. */
  private locked<T>(auth: AuthContext, name: string, change: (record: ServiceRecord) => Promise<T>): Promise<T> {
    return this.lifecycle.withLock(name, async () => change(await this.require(auth, name)));
  }

  private async describe(record: ServiceRecord): Promise<ServiceDto> {
    let status: string;
    try {
      status = await this.containers.state(record.container_id);
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'unavailable')) throw error;
      status = 'unknown';
    }
    return {
      service_name: record.name,
      type: 'docker',
      owner: record.owner,
      image: record.image,
      command: record.command ?? null,
      environment_keys: Object.keys(record.environment).sort(),
      labels: record.labels,
      memory_limit: record.memory_limit ?? null,
      cpu_limit: record.cpu_limit ?? null,
      restart_policy: record.restart_policy,
      read_only_root: record.read_only_root,
      user: record.user ?? null,
      cap_drop: record.cap_drop,
      capabilities: record.capabilities,
      network: record.network ?? null,
      internal_port: record.internal_port ?? null,
      ports: record.ports.map((p) => ({ ...p })),
      container_name: record.container_name,
      container_id: record.container_id ?? null,
      status,
      target_url: this.targetUrl(record),
      proxy_hostname: record.proxy_hostname ?? null,
      auto_proxy: Boolean(record.auto_proxy),
      lifecycle: { state: record.lifecycle.state, reason: record.lifecycle.reason ?? null },
      created_at: record.created_at,
    };
  }
}
