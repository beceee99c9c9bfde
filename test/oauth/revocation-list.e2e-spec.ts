import { AppConfig, parseEnvironment } from '@app/config';
import { RedisConnections, RedisKeys } from '@app/redis';
import { RevokedTokens } from '@app/oauth';
import { testRedisClient, testRedisEnv } from '../support/test-redis';
import { waitUntil } from '../support/wait';

/** The in-memory revoked-jti list of two "replicas", kept current through real Redis pub/sub. */
describe('RevokedTokens across replicas', () => {
  const config = new AppConfig(
    parseEnvironment({
      ADMIN_TOKEN: 'acm_0123456789abcdef0123',
      ...testRedisEnv(),
      REDIS_KEY_PREFIX: `${process.env.TEST_REDIS_PREFIX}-revoked`,
      OAUTH_REVOCATION_SYNC_SECONDS: '3600',
    }),
  );
  const keys = new RedisKeys(config);
  const connections = [new RedisConnections(config), new RedisConnections(config)];
  const [one, two] = connections.map((c) => new RevokedTokens(c, keys, config));
  const raw = testRedisClient();

  beforeAll(async () => {
    await one.onModuleInit();
    await two.onModuleInit();
  });
  afterAll(async () => {
    one.onApplicationShutdown();
    two.onApplicationShutdown();
    await Promise.all(connections.map((c) => c.onApplicationShutdown()));
    raw.disconnect();
  });

  it('a revocation on one replica reaches the other without a Redis read per check', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    expect(two.isRevoked('jti-a')).toBe(false);
    await one.revoke([{ jti: 'jti-a', exp }]);
    expect(one.isRevoked('jti-a')).toBe(true);
    await waitUntil('the revocation to reach the other replica', () => two.isRevoked('jti-a'), {
      timeoutMs: 2000,
      intervalMs: 10,
    });
    expect(two.isRevoked('jti-a')).toBe(true);
    expect(await raw.zscore(keys.key('oauth', 'revoked'), 'jti-a')).toBe(String(exp));
  });

  it('a lost message is made good by the periodic sync; expired entries are dropped', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    await raw.zadd(keys.key('oauth', 'revoked'), exp, 'jti-missed');
    expect(two.isRevoked('jti-missed')).toBe(false);
    await two.sync();
    expect(two.isRevoked('jti-missed')).toBe(true);
    await one.revoke([{ jti: 'jti-old', exp: Math.floor(Date.now() / 1000) - 1 }]);
    expect(one.isRevoked('jti-old')).toBe(false);
  });
});
