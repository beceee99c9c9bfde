import { Type } from 'class-transformer';
import { IsArray, IsBoolean, IsIn, IsInt, IsISO8601, IsNumber, IsObject, IsOptional, IsString, Max, Min, ValidateNested } from 'class-validator';
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

  /** `creating` while the container is being made; a crash then leaves it for reconciliation. */
  @IsIn(['creating', 'ready'])
  state!: 'creating' | 'ready';

  @IsOptional()
  @IsString()
  proxy_hostname?: string;

  @IsISO8601()
  created_at!: string;
}
