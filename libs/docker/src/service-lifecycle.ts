import { HttpException, Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { Conflict, DomainError, NotFound } from '@app/http';
import { HeldLock, RedisLocks } from '@app/redis';
import { EventBus } from '@app/workflow';
import { ServiceLifecycleRecord, ServiceRecord } from './service.record';
import { ServicesRepository } from './services.repository';

/** Workflow events of a Docker service's lifecycle (payloads: `service_name`, `generation`, ...). */
export const CONTAINER_REQUESTED = 'container.requested';
export const CONTAINER_STARTED = 'container.started';
export const CONTAINER_PROXIED = 'container.proxied';
export const CONTAINER_FAILED = 'container.failed';
export const CONTAINER_DELETED = 'container.deleted';
/** Consumer groups: one makes and starts containers, one publishes their proxy targets. */
export const CONTAINERS_GROUP = 'containers';
export const CONTAINER_PROXY_GROUP = 'container-proxy';

/** Longest `?wait=` of POST /api/v1/services; the default is DEFAULT_CREATE_WAIT_SECONDS. */
export const MAX_CREATE_WAIT_SECONDS = 120;
export const DEFAULT_CREATE_WAIT_SECONDS = 30;
const POLL_MS = 200;

/** True when the record has reached a state no worker moves it out of. */
export function isSettled(record: ServiceRecord): boolean {
  const state = record.lifecycle.state;
  return state === 'failed' || state === 'proxied' || (state === 'started' && !record.auto_proxy);
}

export function lifecycle(
  state: ServiceLifecycleRecord['state'],
  reason: string | null = null,
  errorCode?: ServiceLifecycleRecord['error_code'],
): ServiceLifecycleRecord {
  return { state, reason, ...(errorCode ? { error_code: errorCode } : {}), updated_at: new Date().toISOString() };
}

/** The error the API answers for a failed lifecycle (the status of the step that failed, its reason). */
export function failureError(record: ServiceRecord): Error {
  const reason = record.lifecycle.reason ?? 'the service could not be created';
  const code = record.lifecycle.error_code ?? 'internal';
  // The engine failed (answered 5xx or something unexpected happened): a gateway error, reason kept.
  return code === 'internal' ? new HttpException(reason, 502) : new DomainError(code, reason);
}

/**
 * The service lifecycle on the workflow bus, as the API and the workers use it: publishing the
 * events, the per-service lock (`lock:service:<name>`) that serializes a worker's step with a
 * delete, and waiting (any replica may run the steps) until a record settles.
 */
@Injectable()
export class ServiceLifecycle {
  private readonly lockTtlMs: number;

  constructor(
    private readonly repository: ServicesRepository,
    private readonly bus: EventBus,
    private readonly locks: RedisLocks,
    config: AppConfig,
  ) {
    this.lockTtlMs = config.workflow.claimTimeoutMs;
  }

  /** Publishes `container.requested` once per service name and generation. */
  async request(record: ServiceRecord): Promise<void> {
    await this.bus.publish(
      CONTAINER_REQUESTED,
      {
        service_name: record.name,
        generation: record.generation,
        owner: record.owner,
        image: record.image,
        auto_proxy: Boolean(record.auto_proxy),
      },
      { dedupeKey: `container-requested:${record.name}:${record.generation}` },
    );
  }

  /** Publishes a lifecycle step's result once per service name and generation. */
  async announce(type: string, record: ServiceRecord, payload: Record<string, unknown>): Promise<void> {
    await this.bus.publish(
      type,
      { service_name: record.name, generation: record.generation, ...payload },
      { dedupeKey: `${type}:${record.name}:${record.generation}` },
    );
  }

  async deleted(payload: Record<string, unknown>): Promise<void> {
    await this.bus.publish(CONTAINER_DELETED, payload);
  }

  /** Runs `work` under the service's lock (extended while it runs); null when another holder has it. */
  async tryWithLock<T>(name: string, work: () => Promise<T>): Promise<{ value: T } | null> {
    const lock = await this.locks.tryAcquire(this.repository.lockKey(name), this.lockTtlMs);
    if (!lock) return null;
    return { value: await this.holding(lock, work) };
  }

  /** Like tryWithLock, but waits for the lock up to its TTL (a dead holder's lock expires by then); 409 after that. */
  async withLock<T>(name: string, work: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.lockTtlMs + 2000;
    for (;;) {
      const lock = await this.locks.tryAcquire(this.repository.lockKey(name), this.lockTtlMs);
      if (lock) return this.holding(lock, work);
      if (Date.now() > deadline) throw Conflict(`service "${name}" is being changed by another replica; try again`);
      await sleep(100);
    }
  }

  /**
   * Waits up to `seconds` until the service of this generation settles (whichever replica runs the
   * steps). Returns the latest record; 404 when it was deleted meanwhile.
   */
  async waitUntilSettled(record: ServiceRecord, seconds: number): Promise<ServiceRecord> {
    const deadline = Date.now() + seconds * 1000;
    let current = record;
    while (!isSettled(current) && Date.now() < deadline) {
      await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
      const latest = await this.repository.find(record.name);
      if (!latest || latest.generation !== record.generation)
        throw NotFound(`service "${record.name}" (deleted while it was being created)`);
      current = latest;
    }
    return current;
  }

  private async holding<T>(lock: HeldLock, work: () => Promise<T>): Promise<T> {
    const heartbeat = setInterval(
      () => void this.locks.extend(lock, this.lockTtlMs).catch(() => false),
      Math.max(50, Math.floor(this.lockTtlMs / 3)),
    );
    try {
      return await work();
    } finally {
      clearInterval(heartbeat);
      await this.locks.release(lock).catch(() => false);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
