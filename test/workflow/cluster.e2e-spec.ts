import { Cluster } from 'ioredis';
import { Backend, echoBackend, publicRequest, type Echo } from '../support/loopback';
import { waitFor } from '../support/wait';
import { challengePortOf, Pebble } from '../support/pebble';
import { RedisCluster } from '../support/redis-cluster';
import { ServerProcess } from '../support/server-process';

jest.setTimeout(120_000);

/**
 * The smoke subset against a six-node Redis Cluster of its own (three primaries with a replica
 * each), two replicas of the server sharing a key prefix, started while the cluster is young (its
 * replicas still syncing, so ioredis moves its subscriber connection at the first slot refresh).
 * The configuration poll is pinned off (an hour): propagation between the replicas can only come
 * from pub/sub on the Cluster. The whole e2e project also runs on a Cluster (`npm run test:cluster`).
 */
describe('Redis Cluster smoke', () => {
  let cluster: RedisCluster;
  let pebble: Pebble;
  let a: ServerProcess;
  let b: ServerProcess;
  let one: Backend;
  let two: Backend;

  beforeAll(async () => {
    [cluster, pebble, one, two] = await Promise.all([
      RedisCluster.start(),
      Pebble.prepare(),
      echoBackend('one'),
      echoBackend('two'),
    ]);
    const env = { ...cluster.serverEnv, ...pebble.serverEnv, AUTO_CERTIFICATES: 'true', CONFIG_POLL_SECONDS: '3600' };
    a = await ServerProcess.start({ env });
    b = await ServerProcess.start({ env, keyPrefix: a.keyPrefix });
    await pebble.start(challengePortOf(a));
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), one?.close(), two?.close()]);
    await pebble?.stop();
    await cluster?.stop();
  });

  const backendSeenBy = async (server: ServerProcess, host: string, path = '/') => {
    const res = await publicRequest({ port: server.httpPort, host, path });
    return res.status === 200 ? res.json<Echo>().backend : res.status;
  };

  it('reports Redis up and runs on a Cluster', async () => {
    const health = await a.api<{ status: string; redis: { status: string }; reasons?: string[] }>('GET', '/health', {
      token: null,
    });
    expect(health.status).toBe(200);
    expect(health.body.redis.status).toBe('up');
    // AUTO_CERTIFICATES also orders the auth hostname's certificate (Pebble starts after the
    // servers here, so it may have failed): only that may make /health degraded.
    expect((health.body.reasons ?? []).filter((reason) => !reason.startsWith('AUTH_HOSTNAME '))).toEqual([]);
  });

  it('creates a token on one replica that authenticates on the other', async () => {
    const created = await a.api<{ name: string; token: string }>('POST', '/api/v1/tokens', {
      body: { name: 'cluster-user' },
    });
    expect(created.status).toBe(201);
    const me = await b.api<{ name: string }>('GET', '/api/v1/tokens/me', { token: created.body.token });
    expect(me.status).toBe(200);
    expect(me.body.name).toBe('cluster-user');
    expect((await b.api('GET', '/api/v1/tokens/me', { token: 'acm_not_a_real_token_000000' })).status).toBe(401);
  });

  it('serves a proxy target created through one replica on the other (config bus over Cluster pub/sub)', async () => {
    expect(await backendSeenBy(b, 'live.cluster.test')).toBe(404);
    const created = await a.api('POST', '/api/v1/proxy/targets', {
      body: { hostname: 'live.cluster.test', target_url: one.url, enable_https: false },
    });
    expect(created.status).toBe(201);
    await waitFor(
      'replica B to route live.cluster.test to backend one',
      () => backendSeenBy(b, 'live.cluster.test'),
      (seen) => seen === 'one',
      { timeoutMs: 5000, intervalMs: 50 },
    );
    await b.api('PUT', '/api/v1/proxy/targets/live.cluster.test', { body: { target_url: two.url } });
    await waitFor(
      'replica A to route live.cluster.test to backend two',
      () => backendSeenBy(a, 'live.cluster.test'),
      (seen) => seen === 'two',
      { timeoutMs: 5000, intervalMs: 50 },
    );
  });

  it('applies a route made on one replica on the other', async () => {
    const route = await b.api('POST', '/api/v1/routes', {
      body: { path_pattern: '/special/', target_type: 'url', target_value: one.url },
    });
    expect(route.status).toBe(201);
    await waitFor(
      'replica A to route live.cluster.test/special/x to backend one',
      () => backendSeenBy(a, 'live.cluster.test', '/special/x'),
      (seen) => seen === 'one',
      { timeoutMs: 5000, intervalMs: 50 },
    );
    expect(await backendSeenBy(a, 'live.cluster.test', '/other')).toBe('two');
  });

  it('orders a certificate through the workflow bus on the Cluster; the proxy target becomes ready', async () => {
    const created = await b.api<{ certificate_status: string; cert_name: string }>('POST', '/api/v1/proxy/targets', {
      body: { hostname: 'tls.cluster.test', target_url: one.url },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ certificate_status: 'pending', cert_name: 'proxy-tls-cluster-test' });
    const status = await a.api<{ status: string; error: string | null }>(
      'GET',
      '/api/v1/certificates/proxy-tls-cluster-test/status?wait=60',
    );
    expect(status.body).toMatchObject({ status: 'active', error: null });
    const target = await a.api<{ lifecycle: { state: string } }>('GET', '/api/v1/proxy/targets/tls.cluster.test');
    expect(target.body.lifecycle).toEqual({ state: 'ready', reason: null });
    const events = (
      await b.api<{ events: { type: string; payload: { cert_name?: string } }[] }>('GET', '/api/v1/workflow/events')
    ).body.events;
    expect(
      events
        .filter((e) => e.payload.cert_name === 'proxy-tls-cluster-test')
        .map((e) => e.type)
        .sort(),
    ).toEqual(['certificate.issued', 'certificate.order_requested', 'proxy.created']);
    expect(
      (await a.api<{ dead_letters: unknown[] }>('GET', '/api/v1/workflow/dead-letters')).body.dead_letters,
    ).toEqual([]);
  });

  it('keeps every key of the deployment in one hash slot', async () => {
    const client = new Cluster(cluster.nodes);
    try {
      await new Promise((resolve) => client.once('ready', resolve));
      const keys: string[] = [];
      for (const node of client.nodes('master')) keys.push(...(await node.keys(`{${a.keyPrefix}}:*`)));
      expect(keys.length).toBeGreaterThan(5);
      const slots = new Set(
        await Promise.all(keys.map(async (key) => Number(await client.call('CLUSTER', 'KEYSLOT', key)))),
      );
      expect(slots.size).toBe(1);
    } finally {
      client.disconnect();
    }
  });
});
