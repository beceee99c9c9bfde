import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { BIND_ADDRESSES, BindAddress, PORT_PROTOCOLS, PortProtocol } from '../port-allocation.record';

export class ReservePortDto {
  /** 127.0.0.1 (default, internal range) or 0.0.0.0 (exposed range, admin only). */
  @IsOptional()
  @IsIn(BIND_ADDRESSES, { message: `bind_address must be one of ${BIND_ADDRESSES.join(', ')}` })
  bind_address?: BindAddress;

  /** A specific port in the bind address's range; default: the lowest free one. */
  @IsOptional()
  @IsInt({ message: 'port must be an integer' })
  @Min(1, { message: 'port must be 1-65535' })
  @Max(65535, { message: 'port must be 1-65535' })
  port?: number;

  @IsOptional()
  @IsIn(PORT_PROTOCOLS, { message: 'protocol must be tcp or udp' })
  protocol?: PortProtocol;

  @IsOptional()
  @IsString()
  @MaxLength(200, { message: 'description must be at most 200 characters' })
  description?: string;
}

export class PortQueryDto {
  @IsOptional()
  @IsIn(BIND_ADDRESSES, { message: `bind_address must be one of ${BIND_ADDRESSES.join(', ')}` })
  bind_address?: BindAddress;
}

export class AvailablePortsQueryDto extends PortQueryDto {
  /** How many free ports to list (1-100, default 10). */
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'count must be an integer' })
  @Min(1, { message: 'count must be 1-100' })
  @Max(100, { message: 'count must be 1-100' })
  count?: number;
}

export class PortAllocationDto {
  port!: number;
  bind_address!: string;
  protocol!: string;
  owner!: string;
  /** The service publishing the port, or null for a free-standing reservation. */
  service!: string | null;
  name!: string | null;
  container_port!: number | null;
  description!: string | null;
  allocated_at!: string;
}

export class PortCheckDto {
  port!: number;
  bind_address!: string;
  available!: boolean;
  /** internal or exposed, or null when outside both. */
  range!: string | null;
  reserved!: boolean;
  allocated!: boolean;
  host_free!: boolean;
  /** Why the port is not available, or null. */
  reason!: string | null;
}

export class AvailablePortsDto {
  bind_address!: string;
  range!: string;
  first!: number;
  last!: number;
  ports!: number[];
}
