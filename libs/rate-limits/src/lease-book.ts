import type { RateLimit } from '@app/config';

/** How long leased calls stay usable here; unused ones are then lost (counted, never admitted). */
export const LEASE_MS = 250;
/** A lease is at most this share of a limit: the most a replica can hold back from the others. */
export const LEASE_SHARE = 0.01;
/** Keys with a lease at once; beyond it new keys go to Redis every time (still exact). */
export const MAX_LEASES = 10_000;

interface Lease {
  /** Calls leased and not used yet. */
  tokens: number;
  /** performance.now() after which the tokens are not used. */
  expires: number;
  /** Calls counted since the lease was granted (the next lease asks for as many: it follows the rate). */
  used: number;
  /** A lease request is in flight: concurrent calls of the key ask for none (one lease at a time). */
  pending: boolean;
}

/**
 * Calls taken from Redis ahead of need, per key, on this replica (a locally leased batch): when a key
 * is busy, the limiter asks Redis for the call and as many more as the key used during its last lease
 * (at most 1% of the limit), and admits the following calls from memory until they run out or 250 ms
 * pass. Leased calls are counted in Redis when leased, so the sum over replicas never exceeds the
 * limit; the cost is that a lease left unused is lost (at most 1% of the limit per replica and key).
 * Limits under 100 calls per window never lease: every call goes to Redis.
 */
export class LeaseBook {
  private readonly leases = new Map<string, Lease>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  get size(): number {
    return this.leases.size;
  }

  /** Takes `cost` calls from the key's live lease if it holds enough. */
  take(key: string, cost: number): boolean {
    const lease = this.leases.get(key);
    if (lease === undefined || lease.tokens < cost || lease.expires <= this.now()) return false;
    lease.tokens -= cost;
    lease.used += cost;
    return true;
  }

  /** Puts back calls taken by `take` (another charge of the request was refused). */
  giveBack(key: string, cost: number): void {
    const lease = this.leases.get(key);
    if (lease === undefined) return;
    lease.tokens += cost;
    lease.used -= cost;
  }

  /**
   * How many calls to lease along with a call of this key (0: none). A positive answer opens a lease
   * request: `granted` or `abandon` closes it; meanwhile the key's other calls ask for none.
   */
  extraFor(key: string, limit: RateLimit): number {
    const most = Math.floor(limit.limit * LEASE_SHARE);
    if (most < 1) return 0;
    const lease = this.leases.get(key);
    // A lease that ended long ago says nothing about the rate now.
    if (lease === undefined || lease.pending || lease.expires + LEASE_MS < this.now()) return 0;
    const extra = Math.min(most, lease.used);
    if (extra > 0) lease.pending = true;
    return extra;
  }

  /** Redis admitted a call of `cost` and leased `extra` more (added to what is left of a live lease). */
  granted(key: string, limit: RateLimit, cost: number, extra: number, asked: number): void {
    if (Math.floor(limit.limit * LEASE_SHARE) < 1) return;
    const now = this.now();
    const lease = this.leases.get(key);
    if (lease !== undefined) {
      if (asked > 0) lease.pending = false;
      // Calls without a lease request of their own only count towards the next one.
      if (asked === 0 && lease.expires > now) return void (lease.used += cost);
      lease.tokens = (lease.expires > now ? lease.tokens : 0) + extra;
      lease.expires = now + LEASE_MS;
      lease.used = cost;
      return;
    }
    if (this.leases.size >= MAX_LEASES) this.sweep(now);
    if (this.leases.size >= MAX_LEASES) return;
    this.leases.set(key, { tokens: extra, expires: now + LEASE_MS, used: cost, pending: false });
  }

  /** The lease request of `key` ended without a grant (refused, or Redis failed). */
  abandon(key: string, asked: number): void {
    const lease = this.leases.get(key);
    if (lease !== undefined && asked > 0) lease.pending = false;
  }

  /** Drops the key's lease (its calls were given back to Redis). */
  forget(key: string): void {
    this.leases.delete(key);
  }

  private sweep(now: number): void {
    for (const [key, lease] of this.leases) if (lease.expires + LEASE_MS < now) this.leases.delete(key);
  }
}
