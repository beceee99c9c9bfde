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
  /** The unusable rate limits last logged (each problem once, not at every rebuild). */
  private reportedLimitProblems = new Map<string, string>();

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

  private reportLimitProblems(problems: ReadonlyMap<string, string>): void {
    for (const [hostname, problem] of problems)
      if (this.reportedLimitProblems.get(hostname) !== problem)
        this.logger.error(
          `proxy target ${hostname} is refused (503) until its rate limits are set again: the stored ones are unusable (${problem})`,
        );
    this.reportedLimitProblems = new Map(problems);
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
      this.reportLimitProblems(this.table.rateLimitProblems);
      this.logger.debug(`routing table v${version}: ${targets.length} targets, ${routes.length} routes`);
    } catch (error) {
      this.logger.error(`routing table rebuild failed, keeping the previous one: ${(error as Error).message}`);
    }
  }
}
