import { PortAllocationDto } from './dto/port.dto';
import { PortAllocationRecord } from './port-allocation.record';

export function toPortDto(p: PortAllocationRecord): PortAllocationDto {
  return {
    port: p.port,
    bind_address: p.bind_address,
    protocol: p.protocol,
    owner: p.owner,
    service: p.service ?? null,
    name: p.name ?? null,
    container_port: p.container_port ?? null,
    description: p.description ?? null,
    allocated_at: p.allocated_at,
  };
}
