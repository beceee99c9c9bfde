import { Inject, Injectable, Logger, OnModuleInit, Optional } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { DomainError } from '@app/http';
import { PortsService } from '@app/ports';
import { EventBus, RetryLater, WorkflowEvent } from '@app/workflow';
import { statusOf } from './docker-engine';
import { ServiceContainers } from './service-containers';
import {
  CONTAINER_FAILED,
  CONTAINER_PROXIED,
  CONTAINER_PROXY_GROUP,
  CONTAINER_REQUESTED,
  CONTAINER_STARTED,
  CONTAINERS_GROUP,
  lifecycle,
  ServiceLifecycle,
} from './service-lifecycle';
import { SERVICE_PROXY_PUBLISHER, ServiceProxyPublisher } from './service-proxy.publisher';
import { ServiceLifecycleRecord, ServiceRecord, serviceTargetUrl } from './service.record';
import { ServicesRepository } from './services.repository';

type Step = 'start' | 'proxy';

/**
 * The Docker service lifecycle's workers on the workflow bus:
 *
 * - group `containers`, `container.requested` → makes and starts the container (found by name and
 *   generation label first, so a redelivery or a takeover never makes a second one), moves the
 *   record to `started`, publishes `container.started`;
 * - group `container-proxy`, `container.started` → for `auto_proxy` services, creates or points the
 *   owner's proxy target `<name>.<BASE_DOMAIN>` at the service, moves the record to `proxied`,
 *   publishes `container.proxied`.
 *
 * Each step runs under the service's lock and re-reads the record first: an event for a deleted
 * service, another generation of the name, or a step already done changes nothing (except
 * re-publishing the step's result event, deduplicated, in case the replica died between the two).
 * A failure the engine or the proxy gave as an answer (bad user, command that cannot run, hostname
 * of another token) fails at once; others (engine unreachable, Redis) are retried by the bus and
 * fail on the last attempt. Failing removes the container, releases the ports, and leaves the
 * record `failed` with the reason; `container.failed` is published.
 */
@Injectable()
export class ServiceLifecycleWorker implements OnModuleInit {
  private readonly logger = new Logger(ServiceLifecycleWorker.name);

  constructor(
    private readonly bus: EventBus,
    private readonly repository: ServicesRepository,
    private readonly containers: ServiceContainers,
    private readonly ports: PortsService,
    private readonly lifecycle: ServiceLifecycle,
    private readonly config: AppConfig,
    @Optional() @Inject(SERVICE_PROXY_PUBLISHER) private readonly proxy?: ServiceProxyPublisher,
  ) {}

  onModuleInit(): void {
    this.bus.subscribe({
      group: CONTAINERS_GROUP,
      types: [CONTAINER_REQUESTED],
      handle: (event) => this.handleRequested(event),
    });
    this.bus.subscribe({
      group: CONTAINER_PROXY_GROUP,
      types: [CONTAINER_STARTED],
      handle: (event) => this.handleStarted(event),
    });
  }

  /** `container.requested`: the container of this generation exists and runs; the record says `started`. */
  handleRequested(event: WorkflowEvent): Promise<void> {
    return this.step(event, 'start', async (record) => {
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

  /** `container.started`: with auto_proxy, `<name>.<BASE_DOMAIN>` points at the service; the record says `proxied`. */
  handleStarted(event: WorkflowEvent): Promise<void> {
    return this.step(event, 'proxy', async (record) => {
      if (!record.auto_proxy) return;
      if (record.lifecycle.state === 'proxied') return void (await this.announceProxied(record));
      if (record.lifecycle.state !== 'started') return;
      if (!this.proxy)
        throw new DomainError(
          'unavailable',
          'proxy targets are not available in this server build (no ServiceProxyPublisher is bound)',
        );
      const target = serviceTargetUrl(record);
      if (!target)
        throw new DomainError('invalid', `service "${record.name}" publishes no TCP port for the proxy to reach`);
      const hostname = `${record.name}.${this.config.baseDomain}`;
      await this.proxy.publish(record.owner, hostname, target);
      record.proxy_hostname = hostname;
      record.lifecycle = lifecycle('proxied');
      await this.repository.update(record);
      await this.announceProxied(record);
    });
  }

  /** Runs one step for the event's service and generation under the service's lock; failures per the class comment. */
  private async step(event: WorkflowEvent, step: Step, work: (record: ServiceRecord) => Promise<void>): Promise<void> {
    const name = String(event.payload.service_name ?? '');
    const generation = String(event.payload.generation ?? '');
    if (!this.current(await this.repository.find(name), generation)) return; // deleted, or created again since
    const ran = await this.lifecycle.tryWithLock(name, async () => {
      const record = await this.repository.find(name); // again, under the lock
      if (!this.current(record, generation) || record.lifecycle.state === 'failed') return;
      try {
        await work(record);
      } catch (error) {
        if (error instanceof RetryLater || (!isPermanent(error) && event.attempt < this.config.workflow.maxAttempts))
          throw error;
        await this.fail(record, step, error);
      }
    });
    if (!ran) throw new RetryLater(`service "${name}" is locked by another replica`);
  }

  private current(record: ServiceRecord | null, generation: string): record is ServiceRecord {
    return record !== null && record.generation === generation;
  }

  /** The step failed for good: no container left, ports released, record `failed` with the reason. */
  private async fail(record: ServiceRecord, step: Step, error: unknown): Promise<void> {
    const reason = describe(error);
    this.logger.warn(`service ${record.name}: ${step} failed: ${reason}`);
    try {
      await this.containers.removeOwn(record);
    } catch (e) {
      // Left for the reconciler: a container labelled as ours that no record points at is an orphan.
      this.logger.warn(
        `service ${record.name}: could not remove its container after the failure: ${(e as Error).message}`,
      );
    }
    await this.ports.release((await this.ports.forService(record.name)).map((p) => p.port));
    record.ports = [];
    record.container_id = undefined;
    record.lifecycle = lifecycle('failed', reason, errorCode(error));
    await this.repository.update(record);
    await this.lifecycle.announce(CONTAINER_FAILED, record, { step, error: reason });
  }

  private announceStarted(record: ServiceRecord): Promise<void> {
    return this.lifecycle.announce(CONTAINER_STARTED, record, {
      container_name: record.container_name,
      container_id: record.container_id ?? null,
      auto_proxy: Boolean(record.auto_proxy),
    });
  }

  private announceProxied(record: ServiceRecord): Promise<void> {
    return this.lifecycle.announce(CONTAINER_PROXIED, record, {
      hostname: record.proxy_hostname,
      target_url: serviceTargetUrl(record),
    });
  }
}

/** An answer (the engine refused, the hostname is another token's) rather than an outage: retrying gives the same. */
export function isPermanent(error: unknown): boolean {
  if (error instanceof DomainError) return error.code !== 'unavailable';
  return typeof statusOf(error) === 'number';
}

function errorCode(error: unknown): ServiceLifecycleRecord['error_code'] {
  if (error instanceof DomainError) return error.code === 'unauthenticated' ? 'forbidden' : error.code;
  return 'internal';
}

function describe(error: unknown): string {
  if (error instanceof DomainError) return error.message;
  const e = error as Error & { json?: { message?: string } | null };
  const message = e?.json?.message ?? e?.message ?? String(error);
  return typeof statusOf(error) === 'number' ? `Docker Engine: ${message}` : message;
}
