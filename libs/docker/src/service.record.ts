import { Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { BIND_ADDRESSES, BindAddress, PORT_PROTOCOLS, PortProtocol } from '@app/ports';

export const RESTART_POLICIES = ['no', 'always', 'unless-stopped', 'on-failure'] as const;
export type RestartPolicy = (typeof RESTART_POLICIES)[number];

/** A host port published on the service's container (its allocation lives in the ports hash). */
export class ServicePortRecord {
  @IsString()
  name!: string;

  @IsInt()
  @Min(1)
  @Max(65535)
  container_port!: number;

  @IsInt()
  @Min(1)
  @Max(65535)
  host_port!: number;

  @IsIn(BIND_ADDRESSES)
  bind_address!: BindAddress;

  @IsIn(PORT_PROTOCOLS)
  protocol!: PortProtocol;
}

/**
 * Lifecycle of a Docker service, driven by the workflow bus:
 * - `requested`: stored and validated; `container.requested` is published, no container yet (or one
 *   being made);
 * - `started`: the container exists and was started (`start: false`: created, not started);
 *   terminal for services without `auto_proxy`;
 * - `proxied`: `<name>.<BASE_DOMAIN>` points at it (terminal with `auto_proxy`);
 * - `failed`: a step failed for good; `reason` says why; its container is removed and its ports are
 *   released (the record stays until it is deleted, so the reason can be read).
 */
export const SERVICE_LIFECYCLE_STATES = ['requested', 'started', 'proxied', 'failed'] as const;
export type ServiceLifecycleState = (typeof SERVICE_LIFECYCLE_STATES)[number];

export class ServiceLifecycleRecord {
  @IsIn(SERVICE_LIFECYCLE_STATES)
  state!: ServiceLifecycleState;

  @IsOptional()
  @IsString()
  reason!: string | null;

  /** For `failed`: the kind of failure (the API answers the matching status). */
  @IsOptional()
  @IsIn(['invalid', 'forbidden', 'not_found', 'conflict', 'unavailable', 'internal'])
  error_code?: 'invalid' | 'forbidden' | 'not_found' | 'conflict' | 'unavailable' | 'internal';

  @IsOptional()
  @IsISO8601()
  updated_at?: string;
}

/**
 * A Docker service as stored in Redis (`service:<name>`, index set `services`). The record is the
 * source of truth for the container's configuration: the container can be recreated from it.
 */
export class ServiceRecord {
  @IsString()
  name!: string;

  @IsString()
  owner!: string;

  @IsString()
  image!: string;

  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  command?: string[];

  @IsObject()
  environment!: Record<string, string>;

  @IsObject()
  labels!: Record<string, string>;

  @IsOptional()
  @IsString()
  memory_limit?: string;

  @IsOptional()
  @IsNumber()
  cpu_limit?: number;

  @IsIn(RESTART_POLICIES)
  restart_policy!: RestartPolicy;

  @IsBoolean()
  read_only_root!: boolean;

  @IsOptional()
  @IsString()
  user?: string;

  @IsArray()
  @IsString({ each: true })
  cap_drop!: string[];

  @IsArray()
  @IsString({ each: true })
  capabilities!: string[];

  @IsOptional()
  @IsString()
  network?: string;

  /** The container port the proxy targets. */
  @IsOptional()
  @IsInt()
  internal_port?: number;

  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => ServicePortRecord)
  ports!: ServicePortRecord[];

  @IsString()
  container_name!: string;

  @IsOptional()
  @IsString()
  container_id?: string;

  /**
   * Where the service is in its lifecycle (see SERVICE_LIFECYCLE_STATES). Records written before the
   * lifecycle existed carry `state` instead; the repository fills this in when reading them.
   */
  @IsOptional()
  @ValidateNested()
  @Type(() => ServiceLifecycleRecord)
  lifecycle!: ServiceLifecycleRecord;

  /** Legacy (before the workflow bus): `creating` | `ready`. Read only. */
  @IsOptional()
  @IsIn(['creating', 'ready'])
  state?: 'creating' | 'ready';

  /**
   * One value per creation of this name (random): the workflow events carry it, so an event for a
   * service deleted and created again meanwhile changes nothing, and the container carries it as
   * the `io.mcp-proxy.generation` label, so a redelivered event finds the container it made.
   */
  @IsOptional()
  @IsString()
  generation!: string;

  /** Publish `<name>.<BASE_DOMAIN>` once the container runs (the `container-proxy` worker). */
  @IsOptional()
  @IsBoolean()
  auto_proxy?: boolean;

  /** Start the container once created (default true). */
  @IsOptional()
  @IsBoolean()
  start?: boolean;

  @IsOptional()
  @IsString()
  proxy_hostname?: string;

  @IsISO8601()
  created_at!: string;
}

/** URL the proxy forwards to: the published TCP port of `internal_port` (else the first TCP port) on 127.0.0.1. */
export function serviceTargetUrl(record: ServiceRecord): string | null {
  const port =
    record.ports.find((p) => p.container_port === record.internal_port && p.protocol === 'tcp') ??
    record.ports.find((p) => p.protocol === 'tcp');
  return port ? `http://127.0.0.1:${port.host_port}` : null;
}

/** The hostname a service is published under: `<name>.<BASE_DOMAIN>`. */
export function serviceHostname(name: string, baseDomain: string): string {
  return `${name}.${baseDomain}`;
}
