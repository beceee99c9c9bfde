import { Module } from '@nestjs/common';
import { InstancesModule } from '@app/instances';
import { ProxyTargetsModule } from '@app/proxy-targets';
import { RoutesModule } from '@app/routes';
import { BuiltinPublicHandlers } from './builtin-public-handlers';
import { FORWARDING_ENGINE, NodeHttpForwardingEngine } from './forwarding-engine';
import { NestAppForwarder } from './nest-app-forwarder';
import { PublicListeners } from './public-listeners';
import { PublicSurfaceRegistry } from './public-surface.registry';
import { RequestDispatcher } from './request-dispatcher';
import { RoutingTableStore } from './routing-table.store';
import { TlsContexts } from './tls-contexts';

/**
 * The data path: public listeners, PROXY protocol, in-memory routing table, forwarding engine.
 * Other modules extend it through `PublicSurfaceRegistry` (public handlers), `TLS_CONTEXT_PROVIDER`
 * and `TARGET_AUTH_POLICY` (both must be visible here, e.g. from a @Global module).
 */
@Module({
  imports: [ProxyTargetsModule, RoutesModule, InstancesModule],
  providers: [
    PublicSurfaceRegistry,
    NestAppForwarder,
    BuiltinPublicHandlers,
    RoutingTableStore,
    TlsContexts,
    NodeHttpForwardingEngine,
    { provide: FORWARDING_ENGINE, useExisting: NodeHttpForwardingEngine },
    RequestDispatcher,
    PublicListeners,
  ],
  exports: [PublicSurfaceRegistry, NestAppForwarder, RoutingTableStore, PublicListeners],
})
export class DispatcherModule {}
