import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Max, Min } from 'class-validator';

export const BIND_ADDRESSES = ['127.0.0.1', '0.0.0.0'] as const;
export type BindAddress = (typeof BIND_ADDRESSES)[number];
export const PORT_PROTOCOLS = ['tcp', 'udp'] as const;
export type PortProtocol = (typeof PORT_PROTOCOLS)[number];
export type PortRangeName = 'internal' | 'exposed';

/** The range a bind address allocates from: loopback ports are internal, 0.0.0.0 ports are exposed. */
export function rangeFor(bind: BindAddress): PortRangeName {
  return bind === '0.0.0.0' ? 'exposed' : 'internal';
}

/**
 * One allocated host port, stored as a field of the `ports` hash (field = port number, value = this
 * record as JSON). `service` is set when the port is published on a managed container.
 */
export class PortAllocationRecord {
  @IsInt()
  @Min(1)
  @Max(65535)
  port!: number;

  @IsIn(BIND_ADDRESSES)
  bind_address!: BindAddress;

  @IsIn(PORT_PROTOCOLS)
  protocol!: PortProtocol;

  @IsString()
  owner!: string;

  @IsOptional()
  @IsString()
  service?: string;

  /** The port's name within its service (e.g. "http"). */
  @IsOptional()
  @IsString()
  name?: string;

  @IsOptional()
  @IsInt()
  container_port?: number;

  @IsOptional()
  @IsString()
  description?: string;

  @IsISO8601()
  allocated_at!: string;
}
