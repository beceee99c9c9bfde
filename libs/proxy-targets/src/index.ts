export * from './dto/proxy-target.dto';
export { normalizeHostname } from './hostname';
export { ProxyTargetRecord, ROUTE_MODES, type RouteMode } from './proxy-target.record';
export { ProxyTargetsModule } from './proxy-targets.module';
export { PROXY_CREATED, PROXY_DELETED, ProxyTargetsService } from './proxy-targets.service';
export { ProxyTargetHosts, ProxyTargetHostsModule } from './proxy-target-hosts';
export { ProxyTargetOwnership } from './proxy-target-ownership';
