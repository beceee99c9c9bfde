import { stopDockerEngineIfStarted } from './docker-engine';
import type { RedisCluster } from './redis-cluster';
import type { RedisServer } from './redis-server';

export default async function globalTeardown(): Promise<void> {
  const redis = (globalThis as { __TEST_REDIS__?: RedisServer | RedisCluster }).__TEST_REDIS__;
  if (redis && 'destroy' in redis) await redis.destroy();
  else await redis?.stop();
  await stopDockerEngineIfStarted();
}
