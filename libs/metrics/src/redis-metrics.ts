import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { RedisHealthIndicator } from '@app/redis';
import { MetricsRegistry } from './metrics-registry';

/** Redis round-trip measured by a PING at scrape time (bounded to 500 ms so a dead Redis never hangs a scrape). */
@Injectable()
export class RedisMetrics {
  constructor(metrics: MetricsRegistry, health: RedisHealthIndicator) {
    new Gauge({
      name: 'proxy_redis_up',
      help: '1 when Redis answered PING at scrape time',
      // Across workers (WORKERS > 1): 0 when any of them cannot reach Redis.
      aggregator: 'min',
      registers: [metrics.registry],
      async collect() {
        this.set((await health.check(500)).status === 'up' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'proxy_redis_latency_seconds',
      help: 'PING round trip to Redis at scrape time (absent while Redis does not answer)',
      aggregator: 'max',
      registers: [metrics.registry],
      async collect() {
        this.reset();
        const result = await health.check(500);
        if (result.latency_ms !== null) this.set(result.latency_ms / 1000);
      },
    });
  }
}
