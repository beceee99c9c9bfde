import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InstancesService } from '@app/instances';
import { ProxyTargetsService } from '@app/proxy-targets';
import { CoalescedRun, ConfigBus } from '@app/redis';
import { RoutesService } from '@app/routes';
import { RoutingTable } from './routing-table';

/**
 * Holds the current routing table and rebuilds it whenever the configuration version moves
 * (pub/sub message, reconnect, periodic check: see ConfigBus). Requests only read `current`.
 * A failed rebuild keeps the previous table.
 */
@Injectable()
export class RoutingTableStore implements OnModuleInit {
  private readonly logger = new Logger(RoutingTableStore.name);
  private table = RoutingTable.empty();
  private readonly reload = new CoalescedRun(() => this.load());

  constructor(
    private readonly bus: ConfigBus,
    private readonly targets: ProxyTargetsService,
    private readonly routes: RoutesService,
    private readonly instances: InstancesService,
  ) {}

  onModuleInit(): void {
    this.bus.onChange(() => this.rebuild());
  }

  get current(): RoutingTable {
    return this.table;
  }

  /** Rebuilds now; concurrent calls coalesce into one more rebuild after the running one. */
  rebuild(): Promise<void> {
    return this.reload.run();
  }

  private async load(): Promise<void> {
    try {
      const version = await this.bus.currentVersion();
      const [targets, routes, instances] = await Promise.all([
        this.targets.all(),
        this.routes.all(),
        this.instances.all(),
      ]);
      this.table = new RoutingTable(targets, routes, instances, version);
      this.logger.debug(`routing table v${version}: ${targets.length} targets, ${routes.length} routes`);
    } catch (error) {
      this.logger.error(`routing table rebuild failed, keeping the previous one: ${(error as Error).message}`);
    }
  }
}
