import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { RedisConnections } from './redis-connections';

const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/** A held lock: its key and the random owner token that proves who holds it. */
export interface HeldLock {
  readonly key: string;
  readonly token: string;
}

/**
 * Cluster-wide mutual exclusion: `SET key token NX PX ttl`; extend and release only when the stored
 * token is still ours (compare-and-set in Lua), so an expired holder never frees someone else's lock.
 */
@Injectable()
export class RedisLocks {
  constructor(private readonly redis: RedisConnections) {}

  /** Takes the lock if free; null when someone else holds it. */
  async tryAcquire(key: string, ttlMs: number): Promise<HeldLock | null> {
    const token = randomBytes(16).toString('hex');
    const ok = await this.redis.client.set(key, token, 'PX', ttlMs, 'NX');
    return ok === 'OK' ? { key, token } : null;
  }

  /** Pushes the expiry out; false when the lock was lost (expired and maybe taken by another). */
  async extend(lock: HeldLock, ttlMs: number): Promise<boolean> {
    return (await this.redis.client.eval(EXTEND, 1, lock.key, lock.token, ttlMs)) === 1;
  }

  async release(lock: HeldLock): Promise<boolean> {
    return (await this.redis.client.eval(RELEASE, 1, lock.key, lock.token)) === 1;
  }

  async isHeld(key: string): Promise<boolean> {
    return (await this.redis.client.exists(key)) === 1;
  }
}
