export { CertificateMetrics } from './certificate-metrics';
export { EventBusMetrics } from './event-bus-metrics';
export { MetricsModule } from './metrics.module';
export { MCP_NAMES_PER_TARGET, McpMetrics, type ObservedMcpRequest } from './mcp-metrics';
export { MetricsRegistry, statusClass } from './metrics-registry';
export { OAuthMetrics } from './oauth-metrics';
export { RateLimitMetrics } from './rate-limit-metrics';
export { NO_HOST, ProxyMetrics, type MetricsListener, type ObservedRequest } from './proxy-metrics';
export { RequestLogMetrics } from './request-log-metrics';
