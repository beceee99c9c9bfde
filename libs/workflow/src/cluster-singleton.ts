import { Injectable, Logger } from '@nestjs/common';
import { RedisLocks } from '@app/redis';
import { WorkflowKeys } from './workflow-keys';

/**
 * Cluster-wide singletons for scheduled sweeps: the work runs only on the replica that takes the
 * lock (`lock:singleton:<name>`, TTL + random owner token). The lock is extended while the work
 * runs; when an extension fails (the lock expired and may be someone else's) the signal aborts and
 * the work must stop. Release is compare-and-delete.
 */
@Injectable()
export class ClusterSingleton {
  private readonly logger = new Logger(ClusterSingleton.name);

  constructor(
    private readonly locks: RedisLocks,
    private readonly keys: WorkflowKeys,
  ) {}

  /** Runs `work` if this replica gets the lock; returns false when another replica holds it. */
  async runExclusive(name: string, ttlMs: number, work: (signal: AbortSignal) => Promise<void>): Promise<boolean> {
    const lock = await this.locks.tryAcquire(this.keys.singleton(name), ttlMs);
    if (!lock) return false;
    const controller = new AbortController();
    const heartbeat = setInterval(
      () => {
        this.locks
          .extend(lock, ttlMs)
          .then((held) => {
            if (!held && !controller.signal.aborted) {
              this.logger.warn(`lost the ${name} lock; stopping`);
              controller.abort();
            }
          })
          .catch(() => undefined); // Redis unreachable: the next beat tries again; the TTL decides
      },
      Math.max(50, Math.floor(ttlMs / 3)),
    );
    try {
      await work(controller.signal);
    } finally {
      clearInterval(heartbeat);
      await this.locks.release(lock).catch(() => undefined);
    }
    return true;
  }
}
