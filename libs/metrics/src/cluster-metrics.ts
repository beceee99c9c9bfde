import type { Cluster, Worker } from 'node:cluster';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';

/**
 * `/metrics` across the workers of a cluster (WORKERS > 1). The worker that receives the scrape
 * asks the primary over IPC; the primary collects `getMetricsAsJSON()` from every *ready* worker
 * and merges them with prom-client's `AggregatorRegistry.aggregate` (counters and histograms
 * summed, gauges by their `aggregator`), then answers the asking worker with the text.
 *
 * Not prom-client's own `clusterMetrics()`: it asks every connected worker, including one still
 * booting that has no listener yet (the scrape then fails after 5 s), and waits for a worker that
 * died mid-scrape. Here a worker is asked once it said it is ready, and one that exits is dropped
 * from the pending set. This file imports no Nest code: the primary loads it on its own.
 */

type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

const SCRAPE = 'proxy:metrics:scrape';
const SCRAPED = 'proxy:metrics:scraped';
const COLLECT = 'proxy:metrics:collect';
const COLLECTED = 'proxy:metrics:collected';
const COLLECT_TIMEOUT_MS = 4_000;
const SCRAPE_TIMEOUT_MS = 6_000;

interface ScrapeMessage {
  type: typeof SCRAPE;
  id: number;
}
interface ScrapedMessage {
  type: typeof SCRAPED;
  id: number;
  text?: string;
  error?: string;
}
interface CollectMessage {
  type: typeof COLLECT;
  id: number;
}
interface CollectedMessage {
  type: typeof COLLECTED;
  id: number;
  metrics?: MetricsJson;
  error?: string;
}

function isMessage<T extends { type: string }>(message: unknown, type: T['type']): message is T {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
}

/** Worker side: answers the primary's collect requests from `registry`, and asks it for a cluster-wide scrape. */
export class WorkerMetricsChannel {
  private nextId = 0;
  private readonly pending = new Map<
    number,
    { resolve: (text: string) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }
  >();

  constructor(private readonly registry: Registry) {
    process.on('message', (message: unknown) => {
      if (isMessage<CollectMessage>(message, COLLECT)) void this.collect(message.id);
      else if (isMessage<ScrapedMessage>(message, SCRAPED)) this.settle(message);
    });
  }

  /** The merged metrics of every ready worker, in the Prometheus text format. */
  scrape(): Promise<string> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the cluster primary did not answer within ${SCRAPE_TIMEOUT_MS} ms`));
      }, SCRAPE_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      process.send?.({ type: SCRAPE, id } satisfies ScrapeMessage);
    });
  }

  private settle(message: ScrapedMessage): void {
    const request = this.pending.get(message.id);
    if (!request) return;
    this.pending.delete(message.id);
    clearTimeout(request.timer);
    if (message.text !== undefined) request.resolve(message.text);
    else request.reject(new Error(message.error ?? 'cluster scrape failed'));
  }

  private async collect(id: number): Promise<void> {
    try {
      const metrics = (await this.registry.getMetricsAsJSON()) as MetricsJson;
      process.send?.({ type: COLLECTED, id, metrics } satisfies CollectedMessage);
    } catch (error) {
      process.send?.({ type: COLLECTED, id, error: (error as Error).message } satisfies CollectedMessage);
    }
  }
}

interface Collection {
  waiting: Set<number>;
  results: MetricsJson[];
  finish: () => void;
}

/**
 * Primary side: serves workers' scrape requests by collecting from the workers `isReady` accepts.
 * A worker that does not answer within 4 s (or exits) is left out of that scrape.
 */
export class ClusterMetricsAggregator {
  private nextId = 0;
  private readonly collections = new Map<number, Collection>();

  constructor(
    private readonly cluster: Cluster,
    private readonly isReady: (worker: Worker) => boolean,
  ) {
    cluster.on('message', (worker: Worker, message: unknown) => {
      if (isMessage<ScrapeMessage>(message, SCRAPE)) void this.answer(worker, message.id);
      else if (isMessage<CollectedMessage>(message, COLLECTED)) this.received(worker, message);
    });
    cluster.on('exit', (worker: Worker) => {
      for (const collection of this.collections.values()) {
        if (collection.waiting.delete(worker.id) && collection.waiting.size === 0) collection.finish();
      }
    });
  }

  /** Collects from every ready worker and merges: the text one scrape of any worker returns. */
  async collect(): Promise<string> {
    const workers = Object.values(this.cluster.workers ?? {}).filter(
      (w): w is Worker => w !== undefined && w.isConnected() && this.isReady(w),
    );
    const id = this.nextId++;
    const results = await new Promise<MetricsJson[]>((resolve) => {
      const collection: Collection = {
        waiting: new Set(workers.map((w) => w.id)),
        results: [],
        finish: () => {
          clearTimeout(timer);
          this.collections.delete(id);
          resolve(collection.results);
        },
      };
      const timer = setTimeout(() => collection.finish(), COLLECT_TIMEOUT_MS);
      this.collections.set(id, collection);
      if (workers.length === 0) return collection.finish();
      for (const worker of workers) worker.send({ type: COLLECT, id } satisfies CollectMessage);
    });
    if (results.length === 0) throw new Error('no worker answered');
    return AggregatorRegistry.aggregate(results).metrics();
  }

  private received(worker: Worker, message: CollectedMessage): void {
    const collection = this.collections.get(message.id);
    if (!collection || !collection.waiting.delete(worker.id)) return;
    if (message.metrics) collection.results.push(message.metrics);
    if (collection.waiting.size === 0) collection.finish();
  }

  private async answer(worker: Worker, id: number): Promise<void> {
    let reply: ScrapedMessage;
    try {
      reply = { type: SCRAPED, id, text: await this.collect() };
    } catch (error) {
      reply = { type: SCRAPED, id, error: (error as Error).message };
    }
    if (worker.isConnected()) worker.send(reply);
  }
}
