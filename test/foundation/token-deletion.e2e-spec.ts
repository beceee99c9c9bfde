import { ServerProcess } from '../support/server-process';
import { scanKeys, testRedisClient, TestRedisClient } from '../support/test-redis';

interface Created {
  status: number;
  body: { message?: string; route_id?: string; port?: number; status?: string };
}

jest.setTimeout(60_000);

/**
 * Deleting an API token deletes what it owns, in the order written in
 * apps/server/src/token-deletion-cascade.ts (dependents before what they depend on), and leaves
 * nothing of the token behind in Redis.
 */
describe('token deletion cascade', () => {
  let server: ServerProcess;
  let redis: TestRedisClient;

  beforeAll(async () => {
    server = await ServerProcess.start();
    redis = testRedisClient();
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  /**
   * Every stored key or value (strings, hashes, sets, sorted sets) of this server that names
   * `needle`. Not owned by a token, so not part of the cascade: history (the request log and its
   * indexes, workflow markers; they expire) and ACME accounts (keyed by the account e-mail, shared
   * by every certificate ordered with it).
   */
  /** What a key holds, as strings: a hash's fields and values alike. */
  async function storedValues(key: string, type: string): Promise<string[]> {
    if (type === 'string') return [(await redis.get(key)) ?? ''];
    if (type === 'hash') return Object.entries(await redis.hgetall(key)).flat();
    if (type === 'set') return redis.smembers(key);
    if (type === 'zset') return redis.zrange(key, 0, -1);
    return [];
  }

  async function storedMentions(needle: string): Promise<string[]> {
    const found: string[] = [];
    for (const key of await scanKeys(redis, `{${server.keyPrefix}}:*`)) {
      if (/^\{[^}]+\}:(reqlog|workflow|acme-account):/.test(key)) continue;
      const type = await redis.type(key);
      const values = await storedValues(key, type);
      if (key.includes(needle) || values.some((v) => v.includes(needle))) found.push(`${type} ${key}`);
    }
    return found;
  }

  it('deletes routes, proxy targets, instances, ports and certificates in the documented order (certificates last); nothing is left', async () => {
    const created = await server.api<{ token: string }>('POST', '/api/v1/tokens', {
      body: { name: 'carol', cert_email: 'carol@example.test' },
    });
    expect(created.status).toBe(201);
    const token = created.body.token;
    const as = (method: string, path: string, body: unknown): Promise<Created> =>
      server.api(method, path, { token, body }) as Promise<Created>;

    // A certificate (its order fails at once: the test CA address is closed), a proxy target using
    // it, an instance, a route on the target to the instance, and a free-standing port.
    const certificate = await as('POST', '/api/v1/certificates', {
      domain: 'app.carol.test',
      cert_name: 'carol-cert',
    });
    expect(certificate.status).toBe(201);
    expect((await server.api<{ status: string }>('GET', '/api/v1/certificates/carol-cert/status?wait=30')).status).toBe(
      200,
    );
    const target = await as('POST', '/api/v1/proxy/targets', {
      hostname: 'app.carol.test',
      target_url: 'http://127.0.0.1:9',
      cert_name: 'carol-cert',
    });
    expect([target.status, target.body.message]).toEqual([201, undefined]);
    expect(
      (await as('POST', '/api/v1/instances', { name: 'carol-backend', target_url: 'http://127.0.0.1:9' })).status,
    ).toBe(201);
    const route = await as('POST', '/api/v1/routes', {
      path_pattern: '/carol',
      target_type: 'instance',
      target_value: 'carol-backend',
      scope: 'proxy',
      proxy_hostnames: ['app.carol.test'],
    });
    expect([route.status, route.body.message]).toEqual([201, undefined]);
    expect((await as('POST', '/api/v1/ports', {})).status).toBe(201);

    const removed = await server.api<{ deleted: Record<string, number> }>('DELETE', '/api/v1/tokens/carol');
    expect(removed.status).toBe(200);
    // The response lists the kinds in the order they were deleted.
    expect(Object.entries(removed.body.deleted)).toEqual([
      ['resources', 0],
      ['services', 0],
      ['routes', 1],
      ['proxy_targets', 1],
      ['instances', 1],
      ['ports', 1],
      ['certificates', 1],
    ]);
    expect(await storedMentions('carol')).toEqual([]);
    expect((await server.api('GET', '/api/v1/tokens/carol')).status).toBe(404);
  });
});
