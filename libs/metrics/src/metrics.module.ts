import { Global, Module } from '@nestjs/common';
import { CertificateMetrics } from './certificate-metrics';
import { EventBusMetrics } from './event-bus-metrics';
import { McpMetrics } from './mcp-metrics';
import { MetricsController } from './metrics.controller';
import { MetricsRegistry } from './metrics-registry';
import { OAuthMetrics } from './oauth-metrics';
import { ProxyMetrics } from './proxy-metrics';
import { RateLimitMetrics } from './rate-limit-metrics';
import { RedisMetrics } from './redis-metrics';
import { RequestLogMetrics } from './request-log-metrics';

const recorders = [
  ProxyMetrics,
  McpMetrics,
  CertificateMetrics,
  OAuthMetrics,
  EventBusMetrics,
  RequestLogMetrics,
  RateLimitMetrics,
];

/** Prometheus metrics: the registry, one recorder per concern (global, so any module can inject one), GET /metrics. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsRegistry, RedisMetrics, ...recorders],
  exports: [MetricsRegistry, ...recorders],
})
export class MetricsModule {}
