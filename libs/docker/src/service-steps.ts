import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { DomainError } from '@app/http';
import { PortsService } from '@app/ports';
import { RetryLater, WorkflowEvent } from '@app/workflow';
import { statusOf } from './docker-engine';
import { ServiceContainers } from './service-containers';
import { CONTAINER_FAILED, lifecycle, ServiceLifecycle } from './service-lifecycle';
import { ServiceLifecycleRecord, ServiceRecord } from './service.record';
import { ServicesRepository } from './services.repository';

export type Step = 'start' | 'proxy';

/**
 * How each step of a Docker service's lifecycle runs (ContainerStartWorker, ContainerProxyWorker):
 * under the service's lock, on the record re-read under it. An event for a deleted service, another
 * generation of the name or a failed service changes nothing. A failure the engine or the proxy gave
 * as an answer (bad user, command that cannot run, hostname of another token) fails at once; others
 * (engine unreachable, Redis) are retried by the bus and fail on the last attempt. Failing removes
 * the container, releases the ports, and leaves the record `failed` with the reason;
 * `container.failed` is published.
 */
@Injectable()
export class ServiceSteps {
  private readonly logger = new Logger(ServiceSteps.name);

  constructor(
    private readonly repository: ServicesRepository,
    private readonly lifecycle: ServiceLifecycle,
    private readonly containers: ServiceContainers,
    private readonly ports: PortsService,
    private readonly config: AppConfig,
  ) {}

  /** Runs one step for the event's service and generation under the service's lock; failures per the class comment. */
  async run(event: WorkflowEvent, step: Step, work: (record: ServiceRecord) => Promise<void>): Promise<void> {
    const name = String(event.payload.service_name ?? '');
    const generation = String(event.payload.generation ?? '');
    if (!current(await this.repository.find(name), generation)) return; // deleted, or created again since
    const ran = await this.lifecycle.tryWithLock(name, async () => {
      const record = await this.repository.find(name); // again, under the lock
      if (!current(record, generation) || record.lifecycle.state === 'failed') return;
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
}

function current(record: ServiceRecord | null, generation: string): record is ServiceRecord {
  return record !== null && record.generation === generation;
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
