import { Injectable } from '@nestjs/common';
import { NotFound } from '@app/http';
import { PortsService } from '@app/ports';
import { ServiceDeletedDto } from './dto/service.dto';
import { ServiceContainers } from './service-containers';
import { ServiceLifecycle } from './service-lifecycle';
import { ServiceProxyPublisher } from './service-proxy.publisher';
import { ServiceRecord } from './service.record';
import { ServicesRepository } from './services.repository';

export interface TeardownOptions {
  deleteProxy: boolean;
  deleteCertificate: boolean;
}

/**
 * Deletes a service, whoever asks (the API, the reconciler's cleanup, the token deletion cascade):
 * container, ports, proxy target and record.
 */
@Injectable()
export class ServiceTeardown {
  constructor(
    private readonly repository: ServicesRepository,
    private readonly containers: ServiceContainers,
    private readonly ports: PortsService,
    private readonly lifecycle: ServiceLifecycle,
    private readonly proxy: ServiceProxyPublisher,
  ) {}

  /**
   * Removes the container, the ports, the proxy and the record, in any lifecycle state: under the
   * service's lock, so a worker's step on another replica finishes first (and then finds no record)
   * or starts after (and finds none). Publishes `container.deleted`.
   */
  async destroy(record: ServiceRecord, options: TeardownOptions): Promise<ServiceDeletedDto> {
    const result = await this.lifecycle.withLock(record.name, async () => {
      const current = await this.repository.find(record.name);
      if (!current) throw NotFound(`service "${record.name}"`);
      return this.teardown(current, options);
    });
    await this.lifecycle.deleted({ ...result, generation: record.generation });
    return result;
  }

  private async teardown(record: ServiceRecord, options: TeardownOptions): Promise<ServiceDeletedDto> {
    const containerRemoved = await this.containers.remove(record.container_id ?? record.container_name);
    let proxy: ServiceDeletedDto['proxy'] = 'none';
    if (record.proxy_hostname) {
      if (!options.deleteProxy) proxy = 'kept';
      else {
        await this.proxy.unpublish(record.proxy_hostname, { deleteCertificate: options.deleteCertificate });
        proxy = 'deleted';
      }
    }
    const allocated = (await this.ports.forService(record.name)).map((p) => p.port);
    await this.ports.release(allocated);
    await this.repository.delete(record.name);
    return { service_name: record.name, container_removed: containerRemoved, ports_released: allocated, proxy };
  }
}
