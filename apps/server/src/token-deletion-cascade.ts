import { Global, Module } from '@nestjs/common';
import { CertificateOwnership, CertificatesModule } from '@app/certificates';
import { DockerModule, ServiceOwnership } from '@app/docker';
import { InstanceOwnership, InstancesModule } from '@app/instances';
import { PortOwnership, PortsModule } from '@app/ports';
import { ProxyTargetOwnership, ProxyTargetsModule } from '@app/proxy-targets';
import { ResourceOwnership } from '@app/resources';
import { RouteOwnership, RoutesModule } from '@app/routes';
import { OWNED_RESOURCE_KINDS, OwnedResourceKind } from '@app/tokens';

/**
 * What deleting an API token deletes, in this order: what refers to something goes before what it
 * refers to, so no step leaves a dangling reference behind (and a failure half-way leaves the token
 * in place to retry with; the token itself goes last, in TokensService).
 *
 * 1. resources: MCP resources registered on the token's proxy targets;
 * 2. services: Docker services, each with its own proxy target and ports;
 * 3. routes: refer to proxy targets and instances;
 * 4. proxy_targets: refer to certificates (`proxy.deleted` lets other modules clean up after them);
 * 5. instances: targets of routes (external services are instances too);
 * 6. ports: free-standing reservations (a service's ports went with it);
 * 7. certificates: used by proxy targets.
 *
 * The answer of DELETE /api/v1/tokens/{name} lists the kinds in this order; token listings count them.
 */
const DELETION_ORDER = [
  ResourceOwnership,
  ServiceOwnership,
  RouteOwnership,
  ProxyTargetOwnership,
  InstanceOwnership,
  PortOwnership,
  CertificateOwnership,
];

/**
 * Provides OWNED_RESOURCE_KINDS to the tokens module. Global: the tokens module sits below every module it lists.
 * ResourceOwnership comes from the (global) ResourcesModule that app.module registers.
 */
@Global()
@Module({
  imports: [DockerModule, RoutesModule, ProxyTargetsModule, InstancesModule, PortsModule, CertificatesModule],
  providers: [
    {
      provide: OWNED_RESOURCE_KINDS,
      inject: DELETION_ORDER,
      useFactory: (...kinds: OwnedResourceKind[]): readonly OwnedResourceKind[] => kinds,
    },
  ],
  exports: [OWNED_RESOURCE_KINDS],
})
export class TokenDeletionCascadeModule {}
