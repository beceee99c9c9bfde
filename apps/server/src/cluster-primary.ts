import cluster, { type Worker } from 'node:cluster';
import { generateKeyPairSync } from 'node:crypto';
import pino, { type Logger } from 'pino';
import type { AppConfig } from '@app/config';
// Deep imports on purpose: the libraries' index files pull in Nest, which the primary never loads.
import { generateFallbackCertificate } from '@app/dispatcher/fallback-certificate';
import { ClusterMetricsAggregator } from '@app/metrics/cluster-metrics';
import { WORKER_READY } from './cluster-messages';

/** A worker up at least this long had a good run: its next crash restarts it after the first delay. */
const STABLE_AFTER_MS = 30_000;
const FIRST_RESTART_DELAY_MS = 500;
const MAX_RESTART_DELAY_MS = 30_000;
/** Workers still alive this long after SIGTERM are killed. */
const SHUTDOWN_TIMEOUT_MS = 20_000;

interface Slot {
  index: number;
  worker?: Worker;
  startedAt: number;
  /** Crashes in a row, each within STABLE_AFTER_MS of its start. */
  failures: number;
  restartTimer?: NodeJS.Timeout;
}

/**
 * Per-process secrets every worker must share, generated once here and passed in the workers'
 * environment: the OAuth signing key (otherwise workers would reject each other's tokens) and the
 * fallback TLS certificate (otherwise each connection could present another self-signed one).
 */
export async function sharedWorkerEnvironment(config: AppConfig, logger: Logger): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  if (!config.oauth.privateKeyPem) {
    logger.warn(
      'OAUTH_JWT_PRIVATE_KEY_B64 is not set: signing access tokens with a throw-away key shared by the workers (set it for restarts and replicas)',
    );
    const pem = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    env.OAUTH_JWT_PRIVATE_KEY_B64 = Buffer.from(pem).toString('base64');
  }
  if (!config.tlsFallback) {
    const { key, cert } = await generateFallbackCertificate(config.baseDomain);
    env.TLS_FALLBACK_PEM_B64 = Buffer.from(`${key}\n${cert}\n`).toString('base64');
    logger.info(
      `self-signed fallback certificate generated for ${config.baseDomain}, *.${config.baseDomain}, localhost (shared by the workers)`,
    );
  }
  return env;
}

/**
 * The cluster primary (WORKERS > 1): forks the workers, each the full server, which share the
 * listening sockets through node:cluster; restarts a worker that dies (bounded backoff); on
 * SIGTERM/SIGINT stops them gracefully and exits when they are gone. Serves nothing itself, apart
 * from aggregating /metrics for the workers over IPC.
 */
export class ClusterPrimary {
  private readonly logger: Logger;
  private readonly slots: Slot[];
  private readonly ready = new Set<number>();
  /** Forked and not yet reported as exited (cluster's 'exit' event). */
  private readonly live = new Set<Worker>();
  private workerEnv: Record<string, string> = {};
  private everServed = false;
  private stopping?: NodeJS.Signals;

  constructor(
    private readonly config: AppConfig,
    private readonly options: { roundRobin: boolean },
  ) {
    // Synchronous writes: the primary logs little, and it leaves by re-raising a signal (no 'exit'
    // event), which would drop lines still buffered in an asynchronous stream (the last worker's).
    this.logger = pino({ level: config.logLevel }, pino.destination({ fd: 1, sync: true })).child({
      context: 'ClusterPrimary',
    });
    this.slots = Array.from({ length: config.workers }, (_, index) => ({ index, startedAt: 0, failures: 0 }));
  }

  async run(): Promise<void> {
    // SCHED_NONE: the workers accept on the shared listening sockets themselves and the kernel
    // spreads the connections; the primary stays off the data path. Node's round-robin (SCHED_RR,
    // the primary accepts and passes each connection over IPC) measured slower here, up to 4x on
    // new connections (docs/performance.md "Workers"); NODE_CLUSTER_SCHED_POLICY=rr selects it.
    cluster.schedulingPolicy = this.options.roundRobin ? cluster.SCHED_RR : cluster.SCHED_NONE;
    this.workerEnv = await sharedWorkerEnvironment(this.config, this.logger);
    new ClusterMetricsAggregator(cluster, (worker) => this.ready.has(worker.id));
    cluster.on('message', (worker, message: unknown) => this.onMessage(worker, message));
    cluster.on('exit', (worker, code, signal) => this.onExit(worker, code, signal));
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => this.stop(signal));
    const policy = cluster.schedulingPolicy === cluster.SCHED_RR ? 'round-robin' : 'kernel (SCHED_NONE)';
    this.logger.info(`starting ${this.slots.length} workers, connection scheduling ${policy}`);
    for (const slot of this.slots) this.fork(slot);
  }

  private fork(slot: Slot): void {
    slot.restartTimer = undefined;
    slot.startedAt = Date.now();
    slot.worker = cluster.fork(this.workerEnv);
    this.live.add(slot.worker);
  }

  private slotOf(worker: Worker): Slot | undefined {
    return this.slots.find((s) => s.worker === worker);
  }

  private onMessage(worker: Worker, message: unknown): void {
    if (typeof message !== 'object' || message === null || (message as { type?: unknown }).type !== WORKER_READY)
      return;
    this.ready.add(worker.id);
    const slot = this.slotOf(worker);
    this.logger.info(`worker ${worker.id} (pid ${worker.process.pid}, slot ${slot?.index ?? '?'}) serving`);
    if (!this.everServed && this.ready.size === this.slots.length) {
      this.everServed = true;
      this.logger.info(`all ${this.slots.length} workers serving`);
    }
  }

  private onExit(worker: Worker, code: number | null, signal: string | null): void {
    const wasReady = this.ready.delete(worker.id);
    this.live.delete(worker);
    const slot = this.slotOf(worker);
    if (slot) slot.worker = undefined;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (this.stopping) {
      this.logger.info(`worker ${worker.id} (pid ${worker.process.pid}) stopped (${how})`);
      if (this.live.size === 0) this.exit();
      return;
    }
    if (!slot) return;
    if (!this.everServed && !wasReady) {
      // Like a single process that fails to start: stop, do not retry forever (the worker printed why).
      this.logger.error(`worker ${worker.id} (pid ${worker.process.pid}) exited during start-up (${how}): stopping`);
      process.exitCode = 1;
      this.stop('SIGTERM');
      return;
    }
    const upMs = Date.now() - slot.startedAt;
    slot.failures = upMs >= STABLE_AFTER_MS ? 1 : slot.failures + 1;
    const delay = Math.min(MAX_RESTART_DELAY_MS, FIRST_RESTART_DELAY_MS * 2 ** (slot.failures - 1));
    this.logger.error(
      `worker ${worker.id} (pid ${worker.process.pid}) died (${how}) after ${Math.round(upMs / 1000)} s; restarting slot ${slot.index} in ${delay} ms`,
    );
    slot.restartTimer = setTimeout(() => this.fork(slot), delay);
  }

  /** Graceful stop: each worker runs its shutdown hooks (request-log flush, lock release) and exits. */
  private stop(signal: NodeJS.Signals): void {
    if (this.stopping) return;
    this.stopping = signal;
    for (const slot of this.slots) clearTimeout(slot.restartTimer);
    const workers = [...this.live];
    this.logger.info(`${signal}: stopping ${workers.length} workers`);
    if (workers.length === 0) return this.exit();
    for (const worker of workers) worker.process.kill('SIGTERM');
    setTimeout(() => {
      const left = [...this.live];
      this.logger.error(
        `${left.length} workers still running ${SHUTDOWN_TIMEOUT_MS / 1000} s after SIGTERM: killing them`,
      );
      for (const worker of left) worker.process.kill('SIGKILL');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS).unref();
  }

  private exit(): void {
    const signal = this.stopping;
    if (process.exitCode || !signal) process.exit();
    // Leave the way a single process does (Nest re-raises the signal after its shutdown hooks).
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
}
