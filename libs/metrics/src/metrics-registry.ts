import { Injectable, Optional } from '@nestjs/common';
import cluster from 'node:cluster';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { AppConfig } from '@app/config';
import { WorkerMetricsChannel } from './cluster-metrics';

/**
 * The process's Prometheus registry. Recorders register their families here; `GET /metrics`
 * renders it, Node process metrics included. In a cluster worker (WORKERS > 1) a scrape renders
 * the sum over all workers instead, collected by the primary (`cluster-metrics.ts`), so one scrape
 * of the admin port sees the whole server; across replicas Prometheus sums as before.
 */
@Injectable()
export class MetricsRegistry {
  readonly registry = new Registry();
  private readonly channel?: WorkerMetricsChannel;

  constructor(@Optional() config?: AppConfig) {
    collectDefaultMetrics({ register: this.registry });
    // Only under our own primary: another cluster manager (e.g. pm2) would never answer.
    if (cluster.isWorker && (config?.workers ?? 1) > 1) this.channel = new WorkerMetricsChannel(this.registry);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.channel ? this.channel.scrape() : this.registry.metrics();
  }
}

/** `2xx`, `4xx`... for a status code; `other` outside 100-599. */
export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other';
}
