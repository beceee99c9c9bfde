import { DomainError } from '@app/http';
import { ServiceDto } from './dto/service.dto';
import { ServiceContainers } from './service-containers';
import { ServiceRecord, serviceTargetUrl } from './service.record';

/** The API view of a service: its record and the container's state now (`unknown` while the engine is down). */
export async function describeService(containers: ServiceContainers, record: ServiceRecord): Promise<ServiceDto> {
  let status: string;
  try {
    status = await containers.state(record.container_id);
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
    target_url: serviceTargetUrl(record),
    proxy_hostname: record.proxy_hostname ?? null,
    auto_proxy: Boolean(record.auto_proxy),
    lifecycle: { state: record.lifecycle.state, reason: record.lifecycle.reason ?? null },
    created_at: record.created_at,
  };
}
