export {
  ACME_CHALLENGE_PATH,
  ACME_CHALLENGE_PRIORITY,
  ADMIN_HOSTNAME_PRIORITY,
  OAUTH_PRIORITY,
} from './builtin-public-handlers';
export { DispatcherModule } from './dispatcher.module';
export { upstreamRequestHeaders, downstreamResponseHeaders } from './forwarded-headers';
export { NestAppForwarder } from './nest-app-forwarder';
export { parseProxyHeader, type ProxiedSource, type ProxyHeaderResult } from './proxy-protocol';
export { PublicListeners } from './public-listeners';
export { PublicSurfaceRegistry, type PublicHandler, type PublicRequestInfo } from './public-surface.registry';
export { RoutingTable, type ResolvedTarget } from './routing-table';
export { RoutingTableStore } from './routing-table.store';
export { TARGET_AUTH_POLICY, type AuthDecision, type TargetAuthPolicy } from './target-auth';
export {
  annotateRequest,
  exchangeOf,
  type Exchange,
  type PublicListenerName,
  type RequestIdentity,
  type UpstreamErrorKind,
} from './exchange';
export type {
  McpDecision,
  McpDenial,
  McpGovernance,
  McpListFilters,
  McpListItemFilter,
  McpRequestVerdict,
  McpRuleLimits,
} from './mcp/governance';
export {
  RATE_LIMITER,
  type RateLimitCharge,
  type RateLimitOutcome,
  type RateLimiter,
  type RateLimitScope,
} from './rate-limiting';
export { rateLimitKey, requestCharges, ruleCharges, subjectOf, type ChargedRequest } from './rate-limit-charges';
export { RATE_LIMITED } from './request-limits';
export { namesTarget, type McpMessage } from './mcp/json-rpc';
export { caseFoldedMethod, MCP_METHODS, methodLabel } from './mcp/mcp-methods';
