import { AppConfig, parseEnvironment } from '@app/config';
import { ConfigBus, RedisConnections, RedisKeys } from '@app/redis';
import { testRedisEnv } from '../support/test-redis';
import { waitFor } from '../support/wait';

async function replica(prefix: string) {
  const config = new AppConfig(
    parseEnvironment({
      ADMIN_TOKEN: 'acm_bus_test_0123456789',
      ...testRedisEnv(),
      REDIS_KEY_PREFIX: prefix,
      CONFIG_POLL_SECONDS: '60',
    }),
  );
  const connections = new RedisConnections(config);
  const keys = new RedisKeys(config);
  const bus = new ConfigBus(connections, keys, config);
  await bus.onModuleInit(); // resolves once Redis confirmed the subscription
  return { connections, keys, bus };
}

describe('configuration change bus', () => {
  it('bumps config:version atomically with the write and tells every replica', async () => {
    const prefix = `${process.env.TEST_REDIS_PREFIX}-bus`;
    const a = await replica(prefix);
    const b = await replica(prefix);
    try {
      const seenByB: number[] = [];
      b.bus.onChange((v) => void seenByB.push(v));
      const before = await a.bus.currentVersion();
      const results = await a.bus.commit((tx) => tx.set(a.keys.key('demo', 'x'), 'value'));
      expect(results).toEqual([[null, 'OK']]);
      expect(await a.bus.currentVersion()).toBe(before + 1);
      expect(await a.connections.client.get(`{${prefix}}:demo:x`)).toBe('value');
      await waitFor(
        `replica B to hear of version ${before + 1} (value: versions it heard)`,
        () => seenByB,
        (seen) => seen.includes(before + 1),
        { timeoutMs: 2000, intervalMs: 20 },
      );
      expect(seenByB).toContain(before + 1);
    } finally {
      a.bus.onApplicationShutdown();
      b.bus.onApplicationShutdown();
      await a.connections.onApplicationShutdown();
      await b.connections.onApplicationShutdown();
    }
  });
});
