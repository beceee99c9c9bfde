import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { MetricsRegistry } from './metrics-registry';

/** Rate limiting (docs/rate-limits.md): refused requests, and the limiter's Redis failures (requests admitted unchecked). */
@Injectable()
export class RateLimitMetrics {
  private readonly limited: Counter<'target' | 'scope' | 'per'>;
  private readonly unchecked: Counter;

  constructor(metrics: MetricsRegistry) {
    const registers = [metrics.registry];
    this.limited = new Counter({
      name: 'rate_limited_total',
      help: 'Requests refused by a rate limit (429), by target, where the limit is set (global, target, rule) and what it counts by (user, client, address)',
      labelNames: ['target', 'scope', 'per'],
      registers,
    });
    this.unchecked = new Counter({
      name: 'rate_limiter_unavailable_total',
      help: 'Requests admitted without a rate-limit check because Redis did not answer the limiter in time (fail open)',
      registers,
    });
  }

  limitedRequest(target: string, scope: string, per: string): void {
    this.limited.inc({ target, scope, per });
  }

  admittedUnchecked(): void {
    this.unchecked.inc();
  }
}
