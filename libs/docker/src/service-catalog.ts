import { Injectable } from '@nestjs/common';
import { Conflict } from '@app/http';
import { PortsService } from '@app/ports';
import { AuthContext } from '@app/tokens';
import { CreateServiceDto, ServiceDeletedDto, ServiceDto } from './dto/service.dto';
import { assertHasContainer, requireService } from './service-access';
import { ServiceContainers } from './service-containers';
import { ServiceCreationPolicy } from './service-creation.policy';
import { failureError, isSettled, ServiceLifecycle } from './service-lifecycle';
import { allocateServicePort } from './service-ports';
import { ServiceTeardown, TeardownOptions } from './service-teardown';
import { ServiceRecord } from './service.record';
import { describeService } from './service-view';
import { ServicesRepository } from './services.repository';

/**
 * The Docker services of `/api/v1/services`: create (checked by ServiceCreationPolicy, then made by
 * the workflow bus), list, show, start/stop/restart, delete (ServiceTeardown).
 */
@Injectable()
export class ServiceCatalog {
  constructor(
    private readonly repository: ServicesRepository,
    private readonly containers: ServiceContainers,
    private readonly ports: PortsService,
    private readonly lifecycle: ServiceLifecycle,
    private readonly policy: ServiceCreationPolicy,
    private readonly teardown: ServiceTeardown,
  ) {}

  /**
   * Validates the request, stores the record (`requested`, ports allocated) and publishes
   * `container.requested`; the workers of any replica make, start and proxy the container. Every
   * refusal happens here, before anything is stored (or with everything undone).
   */
  async create(auth: AuthContext, input: CreateServiceDto): Promise<ServiceRecord> {
    const { record, portConfigs } = await this.policy.admit(auth, input);
    await this.containers.ping();
    await this.containers.assertImagePresent(record.image);
    if (record.network) await this.containers.assertNetworkExists(record.network);
    if (!(await this.repository.create(record))) {
      const existing = await this.repository.find(record.name);
      const failed =
        existing?.lifecycle.state === 'failed' ? ` (it failed: ${existing.lifecycle.reason}; delete it first)` : '';
      throw Conflict(`a service named "${record.name}" already exists${failed}`);
    }
    try {
      for (const p of portConfigs)
        record.ports.push(await allocateServicePort(this.ports, record, p, input.bind_address));
      record.internal_port ??= record.ports[0]?.container_port;
      await this.repository.update(record);
      await this.lifecycle.request(record);
    } catch (error) {
      // Nothing half-made stays behind: ports, record.
      await this.ports.release(record.ports.map((p) => p.host_port)).catch(() => 0);
      await this.repository.delete(record.name).catch(() => undefined);
      throw error;
    }
    return record;
  }

  /**
   * Creates the service, then waits up to `waitSeconds` until its lifecycle settles on whichever
   * replica runs it. `settled` false: still in progress (the API answers 202). A failed lifecycle
   * throws the failure with its reason.
   */
  async createAndWait(
    auth: AuthContext,
    input: CreateServiceDto,
    waitSeconds: number,
  ): Promise<{ service: ServiceDto; settled: boolean }> {
    const requested = await this.create(auth, input);
    const record = waitSeconds > 0 ? await this.lifecycle.waitUntilSettled(requested, waitSeconds) : requested;
    if (record.lifecycle.state === 'failed') throw failureError(record);
    return { service: await describeService(this.containers, record), settled: isSettled(record) };
  }

  async list(auth: AuthContext): Promise<ServiceDto[]> {
    const records = (await this.repository.list()).filter((s) => auth.canAccess(s.owner));
    return Promise.all(records.map((r) => describeService(this.containers, r)));
  }

  async show(auth: AuthContext, name: string): Promise<ServiceDto> {
    return describeService(this.containers, await requireService(this.repository, auth, name));
  }

  async start(auth: AuthContext, name: string): Promise<ServiceDto> {
    const record = await this.requireWithContainer(auth, name);
    await this.containers.start(record.container_id!, name);
    return describeService(this.containers, record);
  }

  async stop(auth: AuthContext, name: string): Promise<ServiceDto> {
    const record = await this.requireWithContainer(auth, name);
    await this.containers.stop(record.container_id!, name);
    return describeService(this.containers, record);
  }

  async restart(auth: AuthContext, name: string): Promise<ServiceDto> {
    const record = await this.requireWithContainer(auth, name);
    await this.containers.restart(record.container_id!, name);
    return describeService(this.containers, record);
  }

  async delete(auth: AuthContext, name: string, options: TeardownOptions): Promise<ServiceDeletedDto> {
    return this.teardown.destroy(await requireService(this.repository, auth, name), options);
  }

  private async requireWithContainer(auth: AuthContext, name: string): Promise<ServiceRecord> {
    const record = await requireService(this.repository, auth, name);
    assertHasContainer(record);
    return record;
  }
}
