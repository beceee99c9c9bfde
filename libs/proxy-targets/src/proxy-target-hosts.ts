import { Global, Injectable, Module } from '@nestjs/common';
import { HOST_OWNERSHIP_LOOKUP, HostOwnershipLookup } from '@app/request-log';
import { ProxyTargetsModule } from './proxy-targets.module';
import { ProxyTargetsService } from './proxy-targets.service';

/** The request log's answer to "which hosts does this token own": the hostnames of its proxy targets. */
@Injectable()
export class ProxyTargetHosts implements HostOwnershipLookup {
  constructor(private readonly targets: ProxyTargetsService) {}

  async hostsOwnedBy(tokenName: string): Promise<string[]> {
    return (await this.targets.all()).filter((r) => r.owner === tokenName).map((r) => r.hostname);
  }
}

/**
 * Provides HOST_OWNERSHIP_LOOKUP. Global so that the request-log module sees it without importing
 * proxy targets (the request log sits below them).
 */
@Global()
@Module({
  imports: [ProxyTargetsModule],
  providers: [{ provide: HOST_OWNERSHIP_LOOKUP, useClass: ProxyTargetHosts }],
  exports: [HOST_OWNERSHIP_LOOKUP],
})
export class ProxyTargetHostsModule {}
