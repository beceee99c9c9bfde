import { stopDockerEngineIfStarted } from './docker-engine';
import type { RedisServer } from './redis-server';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __TEST_REDIS__?: RedisServer }).__TEST_REDIS__?.destroy();
  await stopDockerEngineIfStarted();
}
