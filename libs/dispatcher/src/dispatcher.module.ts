import { Module } from '@nestjs/common';
import { TlsContextModule } from '@app/certificates';
import { InstancesModule } from '@app/instances';
import { ProxyTargetsModule } from '@app/proxy-targets';
import { RequestLogModule } from '@app/request-log';
import { RoutesModule } from '@app/routes';
import { BuiltinPublicHandlers } from './builtin-public-handlers';
import { ExchangeRecorder } from './exchange-recorder';
import { FORWARDING_ENGINE } from './forwarding-engine';
import { ForwardingEngines } from './forwarding-engines';
import { NestAppForwarder } from './nest-app-forwarder';
import { Http1ForwardingEngine } from './http1-forwarding-engine';
import { NodeHttpForwardingEngine } from './node-forwarding-engine';
import { UndiciForwardingEngine } from './undici-forwarding-engine';
import { PublicListeners } from './public-listeners';
import { PublicSurfaceRegistry } from './public-surface.registry';
import { RequestDispatcher } from './request-dispatcher';
import { RequestLimits } from './request-limits';
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
    // ForwardingEngines picks the engine per request (scheme, body framing, upgrade, the setting).
    { provide: FORWARDING_ENGINE, useClass: ForwardingEngines },
    ExchangeRecorder,
    RequestLimits,
    RequestDispatcher,
    PublicListeners,
  ],
  exports: [PublicSurfaceRegistry, NestAppForwarder, RoutingTableStore, PublicListeners],
})
export class DispatcherModule {}
