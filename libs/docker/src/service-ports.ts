import { Injectable } from '@nestjs/common';
import { Conflict, NotFound } from '@app/http';
import { BindAddress, PortAllocationRecord, PortsService } from '@app/ports';
import { AuthContext } from '@app/tokens';
import { AddServicePortDto, PortConfigDto } from './dto/service.dto';
import { assertHasContainer, requireService } from './service-access';
import { ServiceContainers } from './service-containers';
import { ServiceLifecycle } from './service-lifecycle';
import { ServicePortRecord, ServiceRecord } from './service.record';
import { ServicesRepository } from './services.repository';

/** Allocates a host port for one of the service's container ports (the ports module's rules apply). */
export async function allocateServicePort(
  ports: PortsService,
  record: ServiceRecord,
  config: PortConfigDto,
  defaultBind: BindAddress | undefined,
): Promise<ServicePortRecord> {
  const bind = config.bind ?? defaultBind ?? '127.0.0.1';
  const protocol = config.protocol ?? 'tcp';
  const allocation = await ports.allocate({
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

/** `/api/v1/services/{name}/ports`: a service's published ports, added and removed after creation. */
@Injectable()
export class ServicePorts {
  constructor(
    private readonly repository: ServicesRepository,
    private readonly containers: ServiceContainers,
    private readonly ports: PortsService,
    private readonly lifecycle: ServiceLifecycle,
  ) {}

  async list(auth: AuthContext, name: string): Promise<PortAllocationRecord[]> {
    await requireService(this.repository, auth, name);
    return this.ports.forService(name);
  }

  /** Publishes one more port: Docker cannot add a binding to a container, so it is recreated. */
  async add(auth: AuthContext, name: string, input: AddServicePortDto): Promise<PortAllocationRecord> {
    return this.locked(auth, name, (record) => this.addLocked(auth, record, input));
  }

  async remove(auth: AuthContext, name: string, portName: string): Promise<PortAllocationRecord> {
    return this.locked(auth, name, (record) => this.removeLocked(record, portName));
  }

  private async addLocked(
    auth: AuthContext,
    record: ServiceRecord,
    input: AddServicePortDto,
  ): Promise<PortAllocationRecord> {
    const name = record.name;
    assertHasContainer(record);
    if (record.ports.some((p) => p.name === input.name))
      throw Conflict(`service "${name}" already has a port named "${input.name}"`);
    this.ports.assertBindAllowed(auth, input.bind ?? '127.0.0.1');
    await this.containers.ping();
    const port = await allocateServicePort(this.ports, record, input, undefined);
    try {
      await this.recreate({ ...record, ports: [...record.ports, port] });
    } catch (error) {
      await this.ports.release([port.host_port]);
      throw error;
    }
    return (await this.ports.forService(name)).find((p) => p.port === port.host_port)!;
  }

  private async removeLocked(record: ServiceRecord, portName: string): Promise<PortAllocationRecord> {
    const name = record.name;
    assertHasContainer(record);
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

  private async recreate(next: ServiceRecord): Promise<void> {
    const running = (await this.containers.state(next.container_id)) === 'running';
    await this.containers.remove(next.container_id ?? next.container_name);
    next.container_id = await this.containers.create(next, running);
    await this.repository.update(next);
  }

  /** Runs a change of the record under the service's lock (never beside a worker's step), on the record read under it. */
  private locked<T>(auth: AuthContext, name: string, change: (record: ServiceRecord) => Promise<T>): Promise<T> {
    return this.lifecycle.withLock(name, async () => change(await requireService(this.repository, auth, name)));
  }
}
