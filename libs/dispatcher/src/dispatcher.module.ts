import { Module } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { TlsContextModule } from '@app/certificates';
import { InstancesModule } from '@app/instances';
import { ProxyTargetsModule } from '@app/proxy-targets';
import { RequestLogModule } from '@app/request-log';
import { RoutesModule } from '@app/routes';
import { BuiltinPublicHandlers } from './builtin-public-handlers';
import { FORWARDING_ENGINE, NodeHttpForwardingEngine, type ForwardingEngine } from './forwarding-engine';
import { NestAppForwarder } from './nest-app-forwarder';
import { Http1ForwardingEngine } from './http1-forwarding-engine';
import { UndiciForwardingEngine } from './undici-forwarding-engine';
import { PublicListeners } from './public-listeners';
import { PublicSurfaceRegistry } from './public-surface.registry';
import { RequestDispatcher } from './request-dispatcher';
import { RoutingTableStore } from './routing-table.store';
import { TlsContexts } from './tls-contexts';

/**
 * The data path: public listeners, PROXY protocol, in-memory routing table, forwarding engine.
 * Other modules extend it through `PublicSurfaceRegistry` (public handlers) and `TARGET_AUTH_POLICY`
 * (visible here from a @Global module); certificates come from `TLS_CONTEXT_PROVIDER` (@app/certificates).
 */
@Module({
  imports: [ProxyTargetsModule, RoutesModule, InstancesModule, TlsContextModule, RequestLogModule],
  providers: [
    PublicSurfaceRegistry,
    NestAppForwarder,
    BuiltinPublicHandlers,
    RoutingTableStore,
    TlsContexts,
    NodeHttpForwardingEngine,
    UndiciForwardingEngine,
    Http1ForwardingEngine,
    // FORWARDING_ENGINE picks the engine for plain-HTTP backends: by default our HTTP/1.1 client
    // (fastest: docs/performance.md), with undici for HTTPS backends and chunked request bodies;
    // node:http always carries WebSocket upgrades.
    {
      provide: FORWARDING_ENGINE,
      inject: [AppConfig, Http1ForwardingEngine, UndiciForwardingEngine, NodeHttpForwardingEngine],
      useFactory: (
        config: AppConfig,
        http1: Http1ForwardingEngine,
        undici: UndiciForwardingEngine,
        node: NodeHttpForwardingEngine,
      ): ForwardingEngine => ({ http1, undici, node })[config.forwardingEngine],
    },
    RequestDispatcher,
    PublicListeners,
  ],
  exports: [PublicSurfaceRegistry, NestAppForwarder, RoutingTableStore, PublicListeners],
})
export class DispatcherModule {}
