import { Injectable } from '@nestjs/common';
import { decodeRecord, RedisConnections, RedisKeys } from '@app/redis';
import { PortAllocationRecord } from './port-allocation.record';

/**
 * Allocated host ports: one hash `ports` (field = port, value = JSON allocation). Allocation is a
 * Lua script (HSETNX over the range), so replicas sharing Redis can never hand out the same port.
 */
@Injectable()
export class PortsRepository {
  constructor(
    private readonly redis: RedisConnections,
    private readonly keys: RedisKeys,
  ) {}

  private get hashKey(): string {
    return this.keys.key('ports');
  }

  /**
   * Claims the lowest port of [first, last] that is neither allocated nor in `skip`; 0 if none.
   * The whole scan runs inside Redis, atomically.
   */
  async claimFirstFree(
    first: number,
    last: number,
    skip: number[],
    allocation: Omit<PortAllocationRecord, 'port'>,
  ): Promise<number> {
    const port = await this.redis.client.eval(
      `local first = tonumber(ARGV[1])
       local last = tonumber(ARGV[2])
       local skip = {}
       for p in string.gmatch(ARGV[4], '%d+') do skip[p] = true end
       for p = first, last do
         local field = tostring(p)
         if not skip[field] and redis.call('HSETNX', KEYS[1], field, ARGV[3]) == 1 then return p end
       end
       return 0`,
      1,
      this.hashKey,
      first,
      last,
      JSON.stringify(allocation),
      skip.join(','),
    );
    return Number(port);
  }

  /** Claims one given port; false when it is already allocated. */
  async claim(port: number, allocation: Omit<PortAllocationRecord, 'port'>): Promise<boolean> {
    return (await this.redis.client.hsetnx(this.hashKey, String(port), JSON.stringify(allocation))) === 1;
  }

  async find(port: number): Promise<PortAllocationRecord | null> {
    const raw = await this.redis.client.hget(this.hashKey, String(port));
    return raw === null ? null : this.decode(String(port), raw);
  }

  async list(): Promise<PortAllocationRecord[]> {
    const all = await this.redis.client.hgetall(this.hashKey);
    return Object.entries(all)
      .map(([field, raw]) => this.decode(field, raw))
      .sort((a, b) => a.port - b.port);
  }

  async release(ports: number[]): Promise<number> {
    if (ports.length === 0) return 0;
    return this.redis.client.hdel(this.hashKey, ...ports.map(String));
  }

  private decode(field: string, raw: string): PortAllocationRecord {
    let plain: unknown;
    try {
      plain = { ...(JSON.parse(raw) as object), port: Number(field) };
    } catch {
      plain = null;
    }
    return decodeRecord(PortAllocationRecord, `${this.hashKey}#${field}`, JSON.stringify(plain));
  }
}
