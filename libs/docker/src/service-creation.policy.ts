import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '@app/config';
import { Conflict, Forbidden, Invalid } from '@app/http';
import { PortsService } from '@app/ports';
import { AuthContext } from '@app/tokens';
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
import { CreateServiceDto, PortConfigDto } from './dto/service.dto';
import { ExternalServiceRegistry } from './external-service.registry';
import { lifecycle } from './service-lifecycle';
import { ServiceRecord, serviceHostname } from './service.record';

/** Names that are API paths under /api/v1/services. */
export const RESERVED_SERVICE_NAMES = ['external', 'reconciliation', 'cleanup'];

/** A create request that passed every check: the record to store and the ports to allocate. */
export interface AdmittedService {
  record: ServiceRecord;
  portConfigs: PortConfigDto[];
}

/**
 * Who may create which service: the checks of a create request that need neither the engine nor
 * a write (names, image allowlist, limits, environment, labels, capabilities, hostnames and bind
 * addresses the caller may claim, a name not taken by an external service).
 */
@Injectable()
export class ServiceCreationPolicy {
  constructor(
    private readonly config: AppConfig,
    private readonly ports: PortsService,
    private readonly external: ExternalServiceRegistry,
  ) {}

  async admit(auth: AuthContext, input: CreateServiceDto): Promise<AdmittedService> {
    const record = this.record(auth, input);
    if (input.auto_proxy)
      auth.assertMayClaim(this.config.reservedHostnames, [serviceHostname(record.name, this.config.baseDomain)]);
    const portConfigs =
      input.port_configs ?? (input.internal_port ? [{ name: 'main', container: input.internal_port }] : []);
    const names = new Set<string>();
    for (const p of portConfigs) {
      if (names.has(p.name)) throw Invalid(`port_configs: the name "${p.name}" is used twice`);
      names.add(p.name);
      this.ports.assertBindAllowed(auth, p.bind ?? input.bind_address ?? '127.0.0.1');
    }
    if (input.auto_proxy && !record.internal_port && portConfigs.length === 0)
      throw Invalid('auto_proxy needs internal_port (the container port the proxy forwards to)');
    if (await this.external.find(record.name))
      throw Conflict(`an external service named "${record.name}" already exists`);
    return { record, portConfigs };
  }

  private record(auth: AuthContext, input: CreateServiceDto): ServiceRecord {
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
}
