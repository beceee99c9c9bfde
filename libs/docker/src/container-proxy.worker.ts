import { Injectable, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { DomainError } from '@app/http';
import { EventBus, WorkflowEvent } from '@app/workflow';
import {
  CONTAINER_PROXIED,
  CONTAINER_PROXY_GROUP,
  CONTAINER_STARTED,
  lifecycle,
  ServiceLifecycle,
} from './service-lifecycle';
import { ServiceProxyPublisher } from './service-proxy.publisher';
import { ServiceSteps } from './service-steps';
import { ServiceRecord, serviceHostname, serviceTargetUrl } from './service.record';
import { ServicesRepository } from './services.repository';

/**
 * Group `container-proxy`, `container.started` → for `auto_proxy` services, creates or points the
 * owner's proxy target `<name>.<BASE_DOMAIN>` at the service, moves the record to `proxied`,
 * publishes `container.proxied`. Runs as a ServiceSteps step (a hostname of another token fails
 * the service at once).
 */
@Injectable()
export class ContainerProxyWorker implements OnModuleInit {
  constructor(
    private readonly bus: EventBus,
    private readonly steps: ServiceSteps,
    private readonly repository: ServicesRepository,
    private readonly lifecycle: ServiceLifecycle,
    private readonly publisher: ServiceProxyPublisher,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.bus.subscribe({
      group: CONTAINER_PROXY_GROUP,
      types: [CONTAINER_STARTED],
      handle: (event) => this.handleStarted(event),
    });
  }

  /** `container.started`: with auto_proxy, `<name>.<BASE_DOMAIN>` points at the service; the record says `proxied`. */
  handleStarted(event: WorkflowEvent): Promise<void> {
    return this.steps.run(event, 'proxy', async (record) => {
      if (!record.auto_proxy) return;
      if (record.lifecycle.state === 'proxied') return void (await this.announceProxied(record));
      if (record.lifecycle.state !== 'started') return;
      const target = serviceTargetUrl(record);
      if (!target)
        throw new DomainError('invalid', `service "${record.name}" publishes no TCP port for the proxy to reach`);
      const hostname = serviceHostname(record.name, this.config.baseDomain);
      await this.publisher.publish(record.owner, hostname, target);
      record.proxy_hostname = hostname;
      record.lifecycle = lifecycle('proxied');
      await this.repository.update(record);
      await this.announceProxied(record);
    });
  }

  private announceProxied(record: ServiceRecord): Promise<void> {
    return this.lifecycle.announce(CONTAINER_PROXIED, record, {
      hostname: record.proxy_hostname,
      target_url: serviceTargetUrl(record),
    });
  }
}
