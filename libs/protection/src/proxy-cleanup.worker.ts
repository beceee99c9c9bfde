import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ClientsService } from '@app/oauth';
import { PROXY_DELETED, ProxyTargetsService } from '@app/proxy-targets';
import { EventBus, type WorkflowEvent } from '@app/workflow';
import { ResourceRecord, ResourcesRepository } from '@app/resources';
import { authConfigOf } from './target-auth.config';

export const PROXY_CLEANUP_GROUP = 'proxy-cleanup';

/**
 * `proxy.deleted` → the target's protection state is removed (workflow group `proxy-cleanup`): its
 * resource registry entries and the OAuth client of its redirect mode. The certificate is not ours
 * (ProxyTargetsService.delete removes it synchronously when asked).
 *
 * Idempotent: deleting what is already gone is a no-op. When the hostname has been created again
 * before the event is handled, only the entries last changed before the new target's creation are
 * the old target's; the newer ones stay.
 */
@Injectable()
export class ProxyCleanupWorker implements OnModuleInit {
  private readonly logger = new Logger(ProxyCleanupWorker.name);

  constructor(
    private readonly bus: EventBus,
    private readonly resources: ResourcesRepository,
    private readonly targets: ProxyTargetsService,
    private readonly clients: ClientsService,
  ) {}

  onModuleInit(): void {
    this.bus.subscribe({ group: PROXY_CLEANUP_GROUP, types: [PROXY_DELETED], handle: (event) => this.handle(event) });
  }

  async handle(event: WorkflowEvent): Promise<void> {
    const hostname = typeof event.payload.hostname === 'string' ? event.payload.hostname : '';
    if (!hostname) return;
    const current = (await this.targets.all()).find((t) => t.hostname === hostname) ?? null;
    const stale = (await this.resources.list()).filter(
      (r) => r.proxy_target === hostname && (!current || lastChange(r) < Date.parse(current.created_at)),
    );
    await this.resources.delete(stale);
    const clientId = authConfigOf(event.payload.auth as Record<string, unknown> | null | undefined)?.redirect_client_id;
    const clientDeleted =
      clientId && clientId !== authConfigOf(current?.auth)?.redirect_client_id
        ? await this.clients.delete(clientId)
        : false;
    if (stale.length > 0 || clientDeleted)
      this.logger.log(
        `proxy target ${hostname} deleted: removed ${stale.length} registry entries${clientDeleted ? ` and OAuth client ${clientId}` : ''}`,
      );
  }
}

function lastChange(record: ResourceRecord): number {
  return Date.parse(record.updated_at ?? record.created_at);
}
