import { Injectable } from '@nestjs/common';
import { RedisConnections } from './redis-connections';

export interface RedisHealth {
  status: 'up' | 'down';
  latency_ms: number | null;
  error?: string;
}

@Injectable()
export class RedisHealthIndicator {
  constructor(private readonly redis: RedisConnections) {}

  /** PINGs Redis, giving up after `timeoutMs` so a dead Redis never hangs the health check. */
  async check(timeoutMs = 1000): Promise<RedisHealth> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.redis.client.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return { status: 'up', latency_ms: Math.round((performance.now() - started) * 100) / 100 };
    } catch (error) {
      return { status: 'down', latency_ms: null, error: (error as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }
}
