import { AppConfig, parseEnvironment } from '@app/config';
import { ProxyTargetsRepository } from '@app/proxy-targets/proxy-targets.repository';
import { ConfigBus, RedisConnections, RedisKeys } from '@app/redis';
import { ServerProcess } from '../support/server-process';
import { testRedisEnv } from '../support/test-redis';

interface Overview {
  limits: { scope: string; target?: string; rule?: string; resource_id?: string; label: string; key: string }[];
  unreadable: { scope: string; target: string; problems: string[] }[];
}

/**
 * `GET /api/v1/rate-limits` on the real server: the global limits (RATE_LIMITS), then those of the
 * targets and policy rules the caller may see (ownership as the targets and resources lists apply
 * it), and stored lists that fail validation. Target limits are written through the repository
 * (the target API's own checks are the engine's tests), so broken stored shapes can be shown too.
 */
describe('GET /api/v1/rate-limits', () => {
  let server: ServerProcess;
  let connections: RedisConnections;
  let targets: ProxyTargetsRepository;
  let bob: string;

  async function storeLimits(hostname: string, rateLimits: unknown): Promise<void> {
    const record = await targets.find(hostname);
    if (!record) throw new Error(`no stored proxy target ${hostname}`);
    await targets.replace({ ...record, rate_limits: rateLimits as never });
  }

  beforeAll(async () => {
    server = await ServerProcess.start({
      env: { RATE_LIMITS: '[{"per":"address","limit":600,"window":"1m"}]' },
    });
    const config = new AppConfig(
      parseEnvironment({
        ADMIN_TOKEN: 'acm_0123456789abcdef0123',
        ...testRedisEnv(),
        REDIS_KEY_PREFIX: server.keyPrefix,
      }),
    );
    connections = new RedisConnections(config);
    const keys = new RedisKeys(config);
    targets = new ProxyTargetsRepository(connections, keys, new ConfigBus(connections, keys, config));

    bob = (await server.api<{ token: string }>('POST', '/api/v1/tokens', { body: { name: 'bob' } })).body.token;
    for (const [hostname, token] of [
      ['admin.limits.test', server.adminToken],
      ['bob.limits.test', bob],
      ['broken.limits.test', server.adminToken],
    ])
      expect(
        (
          await server.api('POST', '/api/v1/proxy/targets', {
            token,
            body: { hostname, target_url: 'http://127.0.0.1:9' },
          })
        ).status,
      ).toBe(201);
    await storeLimits('admin.limits.test', [{ per: 'user', limit: 60, window: '1m' }]);
    await storeLimits('bob.limits.test', [{ per: 'client', limit: 1000, window: '1d' }]);
    await storeLimits('broken.limits.test', [{ per: 'user', limit: 'many', window: '1m' }]);

    const resource = await server.api<{ id: string }>('POST', '/api/v1/resources', {
      token: bob,
      body: { uri: `http://bob.limits.test:${server.httpPort}/mcp`, name: 'Bob', proxy_target: 'bob.limits.test' },
    });
    expect(resource.status).toBe(201);
    const policy = await server.api('PUT', `/api/v1/resources/${resource.body.id}/policy`, {
      token: bob,
      body: {
        rules: [
          {
            id: 'writes',
            method: 'tools/call',
            name: 'write_*',
            rate_limits: [{ per: 'user', limit: 5, window: '30s' }],
          },
        ],
      },
    });
    expect(policy.status).toBe(200);
  });
  afterAll(async () => {
    await connections?.onApplicationShutdown();
    await server?.stop();
  });

  it('the admin sees the global limits, every target and rule, and what is broken', async () => {
    const res = await server.api<Overview>('GET', '/api/v1/rate-limits');
    expect(res.status).toBe(200);
    expect(res.body.limits.map((l) => `${l.scope} ${l.target ?? '-'} ${l.rule ?? '-'} ${l.label} ${l.key}`)).toEqual([
      `global - - 600/1m per address ${server.keyPrefix}:ratelimit:{address:<client address>}:global:600/60000`,
      `target admin.limits.test - 60/1m per user ${server.keyPrefix}:ratelimit:{user:<github user id>}:target:admin.limits.test:60/60000`,
      `target bob.limits.test - 1000/1d per client ${server.keyPrefix}:ratelimit:{client:<client_id>}:target:bob.limits.test:1000/86400000`,
      `rule bob.limits.test writes 5/30s per user ${server.keyPrefix}:ratelimit:{user:<github user id>}:rule:http://bob.limits.test:${server.httpPort}/mcp:writes:5/30000`,
    ]);
    expect(res.body.unreadable).toEqual([
      {
        scope: 'target',
        target: 'broken.limits.test',
        problems: ['rate_limits[0]: limit must be a whole number from 1 to 1000000'],
      },
    ]);
  });

  it("another token sees the global limits and only its own targets' and rules' limits", async () => {
    const res = await server.api<Overview>('GET', '/api/v1/rate-limits', { token: bob });
    expect(res.status).toBe(200);
    expect(res.body.limits.map((l) => `${l.scope} ${l.target ?? '-'} ${l.rule ?? '-'}`)).toEqual([
      'global - -',
      'target bob.limits.test -',
      'rule bob.limits.test writes',
    ]);
    expect(res.body.unreadable).toEqual([]);
  });

  it('refuses a caller without a valid token', async () => {
    expect((await server.api('GET', '/api/v1/rate-limits', { token: null })).status).toBe(401);
    expect((await server.api('GET', '/api/v1/rate-limits', { token: 'acm_not_a_token_0000000' })).status).toBe(401);
  });
});
