import { Logger } from '@nestjs/common';
import { AppConfig, compileRateLimits, parseEnvironment, type RateLimit } from '@app/config';
import type { RateLimitCharge } from '@app/dispatcher';
import { RedisRateLimiter } from '@app/rate-limits';
import { RedisConnections } from '@app/redis';
import { freePort } from '../support/ports';
import { waitUntil } from '../support/wait';
import type Redis from 'ioredis';
import { testRedisClient, testRedisEnv, testTopology, type TestRedisClient } from '../support/test-redis';

/**
 * The limiter (libs/rate-limits) on the suite's real Redis (standalone, and a Redis Cluster in the
 * cluster pass): the GCRA's burst and pace, check-all-then-commit, cost, the refund across hash-tag
 * groups, the keys' expiry, and fail open when Redis does not answer.
 */
describe('RedisRateLimiter (real Redis)', () => {
  const prefix = `${process.env.TEST_REDIS_PREFIX ?? 'test'}-limiter`;
  let connections: RedisConnections;
  let limiter: RedisRateLimiter;
  let redis: TestRedisClient;
  let run = 0;

  const config = (env: Record<string, string>) =>
    new AppConfig(parseEnvironment({ ADMIN_TOKEN: 'acm_limiter_spec_0123', LOG_LEVEL: 'silent', ...env }));
  const limit = (text: string): RateLimit => {
    const [count, rest] = text.split('/');
    const [window, per] = rest.split(' per ');
    return compileRateLimits([{ per: per as 'user', limit: Number(count), window }])[0];
  };
  /** A charge on a fresh key of `subject` (each test run its own keys). */
  const charge = (subject: string, spec: string, cost = 1, scope: 'global' | 'target' | 'rule' = 'target') => ({
    key: `${prefix}:ratelimit:{${subject}:${run}}:${scope}:${spec}`,
    limit: limit(spec),
    cost,
    scope,
    target: 'limits.example.test',
  });
  const admitted = async (charges: RateLimitCharge[], times: number) => {
    let count = 0;
    for (let i = 0; i < times; i++) if ((await limiter.admit(charges)).allowed) count++;
    return count;
  };

  beforeAll(async () => {
    connections = new RedisConnections(config({ ...testRedisEnv(), REDIS_KEY_PREFIX: prefix }));
    limiter = new RedisRateLimiter(connections);
    await limiter.onModuleInit();
    redis = testRedisClient();
  });
  beforeEach(() => void run++);
  /** The script calls Redis counted (standalone: INFO commandstats). */
  const scriptStats = async () =>
    testTopology() === 'standalone'
      ? (String(await (redis as Redis).info('commandstats')).split('cmdstat_evalsha:')[1] ?? '')
      : '';
  afterAll(async () => {
    await limiter?.onApplicationShutdown();
    await connections?.onApplicationShutdown();
    redis?.disconnect();
  });

  it('admits `limit` calls at once, then refuses with the wait until the next one drips in', async () => {
    const perUser = charge('user:1', '5/1m per user');
    expect(await admitted([perUser], 5)).toBe(5);
    const refused = await limiter.admit([perUser]);
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: expect.any(Number), refused: perUser });
    // One call every 12 s after the burst.
    if (!refused.allowed) expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(11);
    if (!refused.allowed) expect(refused.retryAfterSeconds).toBeLessThanOrEqual(12);
    // The state expires when it stops mattering: at most the window.
    const ttl = await redis.pttl(perUser.key);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('a refused request consumes nothing: the charges of one subject are checked together, then committed', async () => {
    const roomy = charge('user:2', '10/1m per user', 1, 'global');
    const full = charge('user:2', '2/1m per user', 1, 'target');
    expect(await admitted([full], 2)).toBe(2);
    // Refused by `full`: `roomy` must not have been counted, 10 times over.
    expect(await admitted([roomy, full], 10)).toBe(0);
    expect(await redis.exists(roomy.key)).toBe(0);
    expect(await admitted([roomy], 11)).toBe(10);
  });

  it('counts the cost of a charge (the calls of a batch a rule matched); a cost above the limit is never admitted', async () => {
    const rule = (cost: number) => charge('user:3', '5/1m per user', cost, 'rule');
    expect((await limiter.admit([rule(3)])).allowed).toBe(true);
    expect((await limiter.admit([rule(3)])).allowed).toBe(false);
    expect((await limiter.admit([rule(2)])).allowed).toBe(true);
    const tooBig = await limiter.admit([charge('user:4', '5/1m per user', 6, 'rule')]);
    expect(tooBig).toMatchObject({ allowed: false, retryAfterSeconds: 60 });
  });

  it('charges of different subjects (two slots) are decided together: the admitted group gives its cost back', async () => {
    const byUser = charge('user:5', '3/1m per user', 1, 'global');
    const byAddress = charge('address:192.0.2.5', '1/1m per address', 1, 'target');
    expect((await limiter.admit([byUser, byAddress])).allowed).toBe(true);
    const refused = await limiter.admit([byUser, byAddress]);
    expect(refused).toMatchObject({ allowed: false, refused: byAddress });
    // The refund runs after the answer; the user's counter is back to one call used.
    await waitUntil('the refund of the admitted group', async () => (await redis.pttl(byUser.key)) <= 20_000);
    expect(await admitted([byUser], 3)).toBe(2);
  });

  it('a busy key leases calls ahead (fewer round trips); two replicas together still admit at most the limit', async () => {
    const other = new RedisRateLimiter(connections);
    await other.onModuleInit();
    try {
      const busy = charge('user:7', '1000/1h per user');
      const scripts = async () => Number(/calls=(\d+)/.exec(await scriptStats())?.[1] ?? 0);
      const before = await scripts();
      let admittedCount = 0;
      const both = async () => {
        const outcomes = await Promise.all([limiter.admit([busy]), other.admit([busy])]);
        admittedCount += outcomes.filter((o) => o.allowed).length;
      };
      for (let i = 0; i < 400; i++) await both();
      // 800 calls admitted with far fewer script calls (the leases grow to 10 calls).
      expect(admittedCount).toBe(800);
      if (testTopology() === 'standalone') expect((await scripts()) - before).toBeLessThan(800 / 3);
      for (let i = 0; i < 200; i++) await both();
      // Leased calls are counted when leased: never more than the limit; lost leases (at most 1% per
      // replica) make it at most 2 x 10 fewer.
      expect(admittedCount).toBeLessThanOrEqual(1000);
      expect(admittedCount).toBeGreaterThanOrEqual(980);
    } finally {
      await other.onApplicationShutdown();
    }
  });

  it('admits when Redis does not answer (fail open), logs it once, and says so in its metric', async () => {
    const errors: string[] = [];
    const spy = jest.spyOn(Logger.prototype, 'error').mockImplementation((m: unknown) => void errors.push(String(m)));
    const nowhere = new RedisConnections(config({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` }));
    const unchecked: number[] = [];
    const absent = new RedisRateLimiter(nowhere, {
      admittedUnchecked: () => unchecked.push(1),
    } as unknown as ConstructorParameters<typeof RedisRateLimiter>[1]);
    try {
      const started = Date.now();
      const outcomes = await Promise.all([1, 2, 3].map(() => absent.admit([charge('user:6', '1/1m per user')])));
      expect(outcomes).toEqual([{ allowed: true }, { allowed: true }, { allowed: true }]);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(unchecked).toHaveLength(3);
      expect(errors.filter((e) => e.startsWith('rate limits are not enforced'))).toHaveLength(1);
    } finally {
      spy.mockRestore();
      await absent.onApplicationShutdown();
      nowhere.client.disconnect();
      nowhere.subscriber.disconnect();
    }
  });
});
