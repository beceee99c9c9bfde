import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AppConfig } from '@app/config';
import { PortsService } from '@app/ports';
import { LABELS } from './container-rules';
import { CleanupResultDto, ReconciliationReportDto } from './dto/service.dto';
import { ServiceContainers } from './service-containers';
import { ServiceTeardown } from './service-teardown';
import { ServicesRepository } from './services.repository';

/** A record still `requested` (its container being made by a worker) is not "vanished" during this grace period. */
const CREATING_GRACE_MS = 2 * 60 * 1000;

/**
 * Compares the engine's containers labelled as this deployment's with the service records in
 * Redis, at start and every DOCKER_RECONCILE_SECONDS (report only, logged), and cleans up on request.
 */
@Injectable()
export class ServiceReconciler implements OnApplicationBootstrap {
  private readonly logger = new Logger(ServiceReconciler.name);
  private lastReport: ReconciliationReportDto | null = null;

  constructor(
    private readonly repository: ServicesRepository,
    private readonly teardown: ServiceTeardown,
    private readonly containers: ServiceContainers,
    private readonly ports: PortsService,
    private readonly scheduler: SchedulerRegistry,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    // Never blocks or fails the start: the engine may be down, the report simply waits.
    const scan = () => void this.scanAndLog();
    setTimeout(scan, 0).unref();
    const interval = setInterval(scan, this.config.dockerReconcileMs);
    interval.unref();
    this.scheduler.addInterval('docker-reconciliation', interval);
  }

  get last(): ReconciliationReportDto | null {
    return this.lastReport;
  }

  async report(): Promise<ReconciliationReportDto> {
    const [containers, records, allocations] = await Promise.all([
      this.containers.listManaged(),
      this.repository.list(),
      this.ports.listAll(),
    ]);
    const names = new Set(records.map((r) => r.name));
    const ids = new Set(containers.map((c) => c.Id));
    const byName = new Set(containers.map((c) => c.Labels[LABELS.service]));
    const now = Date.now();
    const report: ReconciliationReportDto = {
      scanned_at: new Date(now).toISOString(),
      orphan_containers: containers
        .filter(
          (c) =>
            !records.some(
              (r) =>
                r.container_id === c.Id ||
                (r.lifecycle.state === 'requested' &&
                  r.name === c.Labels[LABELS.service] &&
                  r.generation === c.Labels[LABELS.generation]),
            ),
        )
        .map((c) => ({
          container_id: c.Id,
          container_name: (c.Names[0] ?? '').replace(/^\//, ''),
          service_name: c.Labels[LABELS.service] ?? null,
          owner: c.Labels[LABELS.owner] ?? null,
          state: c.State,
        })),
      vanished_containers: records
        // A failed service has no container on purpose (its reason stays readable until it is deleted).
        .filter((r) => r.lifecycle.state !== 'failed')
        .filter((r) =>
          r.container_id
            ? !ids.has(r.container_id)
            : !byName.has(r.name) && now - Date.parse(r.created_at) > CREATING_GRACE_MS,
        )
        .map((r) => ({ service_name: r.name, owner: r.owner, container_id: r.container_id ?? null })),
      orphan_ports: allocations
        .filter((p) => p.service && !names.has(p.service))
        .map((p) => ({ port: p.port, service: p.service! })),
    };
    this.lastReport = report;
    return report;
  }

  /** Removes orphan containers, deletes records whose container vanished (with their ports and proxy), releases orphan ports. */
  async cleanup(): Promise<CleanupResultDto> {
    const report = await this.report();
    const removed: string[] = [];
    for (const c of report.orphan_containers)
      if (await this.containers.remove(c.container_id)) removed.push(c.container_name);
    const deleted: string[] = [];
    const released: number[] = [];
    const records = await this.repository.list();
    for (const v of report.vanished_containers) {
      const record = records.find((r) => r.name === v.service_name);
      if (!record) continue;
      const result = await this.teardown.destroy(record, { deleteProxy: true, deleteCertificate: false });
      deleted.push(v.service_name);
      released.push(...result.ports_released);
    }
    const orphanPorts = report.orphan_ports.map((p) => p.port);
    await this.ports.release(orphanPorts);
    released.push(...orphanPorts);
    return {
      ...report,
      removed_containers: removed,
      deleted_services: deleted,
      released_ports: released.sort((a, b) => a - b),
    };
  }

  private async scanAndLog(): Promise<void> {
    try {
      const r = await this.report();
      const found = r.orphan_containers.length + r.vanished_containers.length + r.orphan_ports.length;
      if (found > 0) {
        this.logger.warn(
          `reconciliation: ${r.orphan_containers.length} orphan container(s), ${r.vanished_containers.length} service(s) without container, ${r.orphan_ports.length} orphan port(s); POST /api/v1/services/cleanup removes them`,
        );
      }
    } catch (error) {
      this.logger.warn(`reconciliation skipped: ${(error as Error).message}`);
    }
  }
}
