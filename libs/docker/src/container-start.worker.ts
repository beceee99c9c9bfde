import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { EventBus, WorkflowEvent } from '@app/workflow';
import { ServiceContainers } from './service-containers';
import {
  CONTAINER_REQUESTED,
  CONTAINER_STARTED,
  CONTAINERS_GROUP,
  lifecycle,
  ServiceLifecycle,
} from './service-lifecycle';
import { ServiceSteps } from './service-steps';
import { ServiceRecord } from './service.record';
import { ServicesRepository } from './services.repository';

/**
 * Group `containers`, `container.requested` → makes and starts the container (found by name and
 * generation label first, so a redelivery or a takeover never makes a second one), moves the record
 * to `started`, publishes `container.started`. Runs as a ServiceSteps step.
 */
@Injectable()
export class ContainerStartWorker implements OnModuleInit {
  private readonly logger = new Logger(ContainerStartWorker.name);

  constructor(
    private readonly bus: EventBus,
    private readonly steps: ServiceSteps,
    private readonly repository: ServicesRepository,
    private readonly containers: ServiceContainers,
    private readonly lifecycle: ServiceLifecycle,
  ) {}

  onModuleInit(): void {
    this.bus.subscribe({
      group: CONTAINERS_GROUP,
      types: [CONTAINER_REQUESTED],
      handle: (event) => this.handleRequested(event),
    });
  }

  /** `container.requested`: the container of this generation exists and runs; the record says `started`. */
  handleRequested(event: WorkflowEvent): Promise<void> {
    return this.steps.run(event, 'start', async (record) => {
      if (record.lifecycle.state !== 'requested') {
        // Done already (the replica may have died before announcing it): announce again, deduplicated.
        if (record.lifecycle.state === 'started' || record.lifecycle.state === 'proxied')
          await this.announceStarted(record);
        return;
      }
      record.container_id = await this.containers.ensure(record, record.start ?? true);
      record.lifecycle = lifecycle('started');
      await this.repository.update(record);
      this.logger.log(`service ${record.name}: container ${record.container_name} started`);
      await this.announceStarted(record);
    });
  }

  private announceStarted(record: ServiceRecord): Promise<void> {
    return this.lifecycle.announce(CONTAINER_STARTED, record, {
      container_name: record.container_name,
      container_id: record.container_id ?? null,
      auto_proxy: Boolean(record.auto_proxy),
    });
  }
}
