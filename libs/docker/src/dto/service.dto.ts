import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { ApiProperty } from '@nestjs/swagger';
import { BIND_ADDRESSES, BindAddress, PORT_PROTOCOLS, PortAllocationDto, PortProtocol } from '@app/ports';
import {
  CAPABILITY_PATTERN,
  IMAGE_PATTERN,
  MEMORY_PATTERN,
  SERVICE_NAME_PATTERN,
  USER_PATTERN,
} from '../container-rules';
import { MAX_CREATE_WAIT_SECONDS } from '../service-lifecycle';
import { RESTART_POLICIES, RestartPolicy, SERVICE_LIFECYCLE_STATES, ServiceLifecycleState } from '../service.record';

const NAME_MESSAGE = 'must be a DNS label: 1-63 lower-case letters, digits or -, not starting or ending with -';

export class PortConfigDto {
  /** Name of the port within the service, e.g. "http". */
  @Matches(/^[a-z0-9][a-z0-9_-]{0,31}$/, { message: 'name must be 1-32 lower-case letters, digits, _ or -' })
  name!: string;

  /** Port inside the container. */
  @IsInt({ message: 'container must be an integer port' })
  @Min(1, { message: 'container must be 1-65535' })
  @Max(65535, { message: 'container must be 1-65535' })
  container!: number;

  /** Host port; default: allocated from the range of the bind address. */
  @IsOptional()
  @IsInt({ message: 'host must be an integer port' })
  @Min(1, { message: 'host must be 1-65535' })
  @Max(65535, { message: 'host must be 1-65535' })
  host?: number;

  /** 127.0.0.1 (default) or 0.0.0.0 (admin only). */
  @IsOptional()
  @IsIn(BIND_ADDRESSES, { message: `bind must be one of ${BIND_ADDRESSES.join(', ')}` })
  bind?: BindAddress;

  @IsOptional()
  @IsIn(PORT_PROTOCOLS, { message: 'protocol must be tcp or udp' })
  protocol?: PortProtocol;
}

export class CreateServiceDto {
  /** Service name; the container is `mcp-<deployment>-<name>` and the proxy hostname `<name>.<BASE_DOMAIN>`. */
  @Matches(SERVICE_NAME_PATTERN, { message: `service_name ${NAME_MESSAGE}` })
  service_name!: string;

  /** Image reference present on the Docker host; must match DOCKER_IMAGE_ALLOWLIST. */
  @Matches(IMAGE_PATTERN, { message: 'image must be an image reference such as busybox:1.36 or ghcr.io/acme/app:v1' })
  image!: string;

  /** Command and arguments (default: the image's). */
  @IsOptional()
  @IsArray({ message: 'command must be an array of strings' })
  @ArrayMaxSize(64, { message: 'command may have at most 64 items' })
  @IsString({ each: true, message: 'command must be an array of strings' })
  @MaxLength(4096, { each: true, message: 'command items must be at most 4096 characters' })
  command?: string[];

  /** Container port the proxy targets; published on an allocated 127.0.0.1 port when port_configs is absent. */
  @IsOptional()
  @IsInt({ message: 'internal_port must be an integer port' })
  @Min(1, { message: 'internal_port must be 1-65535' })
  @Max(65535, { message: 'internal_port must be 1-65535' })
  internal_port?: number;

  /** Environment variables (NAME → value). */
  @IsOptional()
  @IsObject({ message: 'environment must be an object of NAME: value strings' })
  environment?: Record<string, string>;

  /** Extra container labels; `io.mcp-proxy.*` is reserved. */
  @IsOptional()
  @IsObject({ message: 'labels must be an object of key: value strings' })
  labels?: Record<string, string>;

  /** Memory limit in Docker units: 6m to 1024g, e.g. "512m". */
  @IsOptional()
  @Matches(MEMORY_PATTERN, { message: 'memory_limit must be a size such as 512m, 1g or 65536k' })
  memory_limit?: string;

  /** CPU limit in cores, e.g. 0.5. */
  @IsOptional()
  @IsNumber({}, { message: 'cpu_limit must be a number of CPU cores such as 0.5' })
  @Min(0.01, { message: 'cpu_limit must be at least 0.01' })
  @Max(1024, { message: 'cpu_limit must be at most 1024' })
  cpu_limit?: number;

  @IsOptional()
  @IsIn(RESTART_POLICIES, { message: `restart_policy must be one of ${RESTART_POLICIES.join(', ')}` })
  restart_policy?: RestartPolicy;

  /** Read-only root filesystem (default true). */
  @IsOptional()
  @IsBoolean({ message: 'read_only_root must be true or false' })
  read_only_root?: boolean;

  /** User (name or uid, optionally :group) the process runs as. */
  @IsOptional()
  @Matches(USER_PATTERN, { message: 'user must be a user name or uid, optionally with :group, e.g. 1000:1000' })
  user?: string;

  /** Capabilities dropped (default ["ALL"]). */
  @IsOptional()
  @IsArray({ message: 'cap_drop must be an array of capability names' })
  @Matches(CAPABILITY_PATTERN, {
    each: true,
    message: 'cap_drop items must be capability names such as NET_RAW or ALL',
  })
  cap_drop?: string[];

  /** Capabilities added back (admin only), e.g. ["NET_BIND_SERVICE"]. */
  @IsOptional()
  @IsArray({ message: 'capabilities must be an array of capability names' })
  @Matches(CAPABILITY_PATTERN, {
    each: true,
    message: 'capabilities items must be capability names such as NET_BIND_SERVICE',
  })
  capabilities?: string[];

  /** Ports to publish. */
  @IsOptional()
  @IsArray({ message: 'port_configs must be an array' })
  @ArrayMaxSize(16, { message: 'port_configs may have at most 16 items' })
  @ValidateNested({ each: true })
  @Type(() => PortConfigDto)
  port_configs?: PortConfigDto[];

  /** Default bind address of the ports: 127.0.0.1 (default) or 0.0.0.0 (admin only). */
  @IsOptional()
  @IsIn(BIND_ADDRESSES, { message: `bind_address must be one of ${BIND_ADDRESSES.join(', ')}` })
  bind_address?: BindAddress;

  /** Also publish `<service_name>.<BASE_DOMAIN>` through the proxy. */
  @IsOptional()
  @IsBoolean({ message: 'auto_proxy must be true or false' })
  auto_proxy?: boolean;

  /** Start the container right away (default true). */
  @IsOptional()
  @IsBoolean({ message: 'start must be true or false' })
  start?: boolean;
}

export class AddServicePortDto extends PortConfigDto {}

export class DeleteServiceQueryDto {
  /** Also delete the service's proxy target (default true). */
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'delete_proxy must be true or false' })
  delete_proxy?: 'true' | 'false';

  /** Also delete the proxy's certificate (default false). */
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'delete_certificate must be true or false' })
  delete_certificate?: 'true' | 'false';
}

export class LogsQueryDto {
  /** Number of lines from the end (1-10000, default 100). */
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'tail must be an integer' })
  @Min(1, { message: 'tail must be 1-10000' })
  @Max(10000, { message: 'tail must be 1-10000' })
  tail?: number;

  /** Keep the response open and stream new lines as text/plain. */
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'follow must be true or false' })
  follow?: 'true' | 'false';

  /** Prefix lines with Docker's timestamps. */
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'timestamps must be true or false' })
  timestamps?: 'true' | 'false';
}

export class CreateExternalServiceDto {
  @Matches(SERVICE_NAME_PATTERN, { message: `service_name ${NAME_MESSAGE}` })
  service_name!: string;

  /** http(s) URL of the service. */
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false },
    { message: 'target_url must be an http(s) URL' },
  )
  target_url!: string;

  @IsOptional()
  @IsString()
  @MaxLength(200, { message: 'description must be at most 200 characters' })
  description?: string;
}

export class ServicePortDto {
  name!: string;
  container_port!: number;
  host_port!: number;
  bind_address!: string;
  protocol!: string;
}

export class ServiceDto {
  service_name!: string;
  type!: 'docker';
  owner!: string;
  image!: string;
  command!: string[] | null;
  /** Names only: values may be secrets. */
  environment_keys!: string[];
  labels!: Record<string, string>;
  memory_limit!: string | null;
  cpu_limit!: number | null;
  restart_policy!: string;
  read_only_root!: boolean;
  user!: string | null;
  cap_drop!: string[];
  capabilities!: string[];
  network!: string | null;
  internal_port!: number | null;
  ports!: ServicePortDto[];
  container_name!: string;
  container_id!: string | null;
  /** Engine state: running, exited, created, ... ; "missing" when the container is gone, "unknown" when the engine is unreachable. */
  status!: string;
  /** URL the proxy forwards to (the published internal port on 127.0.0.1). */
  target_url!: string | null;
  proxy_hostname!: string | null;
  /** Publish `<name>.<BASE_DOMAIN>` once the container runs. */
  auto_proxy!: boolean;
  /** Where the service is in its lifecycle on the workflow bus. */
  lifecycle!: ServiceLifecycleDto;
  created_at!: string;
}

export class ServiceLifecycleDto {
  /**
   * `requested`: stored, waiting for a replica to make the container; `started`: the container
   * exists and was started (final without auto_proxy); `proxied`: `<name>.<BASE_DOMAIN>` points at
   * it; `failed`: see `reason` (no container is left, ports are released; delete the service).
   */
  @ApiProperty({ enum: SERVICE_LIFECYCLE_STATES })
  state!: ServiceLifecycleState;
  /** Why, for `failed`. */
  reason!: string | null;
}

export class CreateServiceQueryDto {
  /**
   * Seconds to wait (0-120, default 30) for the container to be started (and proxied with
   * auto_proxy) by whichever replica runs it: then 201 with the service, or the failure's status
   * and reason. Still in progress after that (or wait=0): 202 with the `requested` service.
   */
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'wait must be a whole number of seconds' })
  @Min(0, { message: 'wait must be 0-120 seconds' })
  @Max(MAX_CREATE_WAIT_SECONDS, { message: 'wait must be 0-120 seconds' })
  wait?: number;
}

export class ServiceDeletedDto {
  service_name!: string;
  container_removed!: boolean;
  ports_released!: number[];
  /** deleted, none (no proxy) or kept (delete_proxy=false). */
  proxy!: 'deleted' | 'none' | 'kept';
}

export class ServiceLogLineDto {
  stream!: 'stdout' | 'stderr';
  text!: string;
}

export class ServiceLogsDto {
  service_name!: string;
  lines!: ServiceLogLineDto[];
}

export class ServiceStatsDto {
  service_name!: string;
  read_at!: string;
  cpu_percent!: number;
  online_cpus!: number;
  memory_usage_bytes!: number;
  memory_limit_bytes!: number;
  memory_percent!: number;
  network_rx_bytes!: number;
  network_tx_bytes!: number;
  block_read_bytes!: number;
  block_write_bytes!: number;
  pids!: number;
}

export class ServicePortsDto {
  service_name!: string;
  ports!: PortAllocationDto[];
}

export class ExternalServiceDto {
  service_name!: string;
  type!: 'external';
  target_url!: string;
  description!: string | null;
  owner!: string;
  created_at!: string;
}

export class OrphanContainerDto {
  container_id!: string;
  container_name!: string;
  service_name!: string | null;
  owner!: string | null;
  state!: string;
}

export class VanishedServiceDto {
  service_name!: string;
  owner!: string;
  container_id!: string | null;
}

export class OrphanPortDto {
  port!: number;
  service!: string;
}

export class ReconciliationReportDto {
  scanned_at!: string;
  /** Containers labelled as this deployment's but unknown to Redis. */
  orphan_containers!: OrphanContainerDto[];
  /** Service records whose container no longer exists. */
  vanished_containers!: VanishedServiceDto[];
  /** Port allocations for services that no longer exist. */
  orphan_ports!: OrphanPortDto[];
}

export class CleanupResultDto extends ReconciliationReportDto {
  removed_containers!: string[];
  deleted_services!: string[];
  released_ports!: number[];
}
