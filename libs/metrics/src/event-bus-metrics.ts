import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { MetricsRegistry } from './metrics-registry';

/** Event-bus health, fed by the workflow module (e.g. from XINFO GROUPS on each poll). */
@Injectable()
export class EventBusMetrics {
  private readonly lag: Gauge<'stream' | 'group'>;
  private readonly pending: Gauge<'stream' | 'group'>;
  private readonly deadLetters: Gauge<'stream'>;

  constructor(metrics: MetricsRegistry) {
    const registers = [metrics.registry];
    // Every worker (WORKERS > 1) measures the same Redis streams: the largest reading, not a sum.
    const aggregator = 'max' as const;
    this.lag = new Gauge({
      name: 'proxy_event_bus_lag',
      help: 'Events in the stream not yet delivered to the consumer group',
      labelNames: ['stream', 'group'],
      registers,
      aggregator,
    });
    this.pending = new Gauge({
      name: 'proxy_event_bus_pending',
      help: 'Events delivered but not yet acknowledged',
      labelNames: ['stream', 'group'],
      registers,
      aggregator,
    });
    this.deadLetters = new Gauge({
      name: 'proxy_event_bus_dead_letters',
      help: 'Events in the dead-letter stream',
      labelNames: ['stream'],
      registers,
      aggregator,
    });
  }

  setLag(stream: string, group: string, events: number): void {
    this.lag.set({ stream, group }, events);
  }
  setPending(stream: string, group: string, events: number): void {
    this.pending.set({ stream, group }, events);
  }
  setDeadLetters(stream: string, events: number): void {
    this.deadLetters.set({ stream }, events);
  }
}
