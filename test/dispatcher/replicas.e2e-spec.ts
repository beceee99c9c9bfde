import { Backend, echoBackend, publicRequest, type Echo } from '../support/loopback';
import { waitFor } from '../support/wait';
import { ServerProcess } from '../support/server-process';

/**
 * Two server processes sharing one Redis (one key prefix): configuration written through one is
 * served by the other within a second, without a restart, through pub/sub and the in-memory table.
 */
describe('live configuration across replicas', () => {
  let first: ServerProcess;
  let second: ServerProcess;
  let one: Backend;
  let two: Backend;

  beforeAll(async () => {
    first = await ServerProcess.start();
    [second, one, two] = await Promise.all([
      ServerProcess.start({ keyPrefix: first.keyPrefix }),
      echoBackend('one'),
      echoBackend('two'),
    ]);
  });
  afterAll(async () => {
    await Promise.all([first.stop(), second.stop(), one.close(), two.close()]);
  });

  const backendSeenBy = async (server: ServerProcess, host: string, path = '/') => {
    const res = await publicRequest({ port: server.httpPort, host, path });
    return res.status === 200 ? res.json<Echo>().backend : res.status;
  };

  it('serves a target created through one replica on the other within a second', async () => {
    expect(await backendSeenBy(second, 'live.test')).toBe(404);
    expect(
      (await first.api('POST', '/api/v1/proxy/targets', { body: { hostname: 'live.test', target_url: one.url } }))
        .status,
    ).toBe(201);
    await waitFor(
      'the second replica to route live.test to backend one',
      () => backendSeenBy(second, 'live.test'),
      (seen) => seen === 'one',
      { timeoutMs: 1000, intervalMs: 20 },
    );
  });

  it('applies updates and routes made on the other replica within a second', async () => {
    await second.api('PUT', '/api/v1/proxy/targets/live.test', { body: { target_url: two.url } });
    await waitFor(
      'the first replica to route live.test to backend two',
      () => backendSeenBy(first, 'live.test'),
      (seen) => seen === 'two',
      { timeoutMs: 1000, intervalMs: 20 },
    );
    await second.api('POST', '/api/v1/routes', {
      body: { path_pattern: '/special/', target_type: 'url', target_value: one.url },
    });
    await waitFor(
      'the first replica to route live.test/special/x to backend one',
      () => backendSeenBy(first, 'live.test', '/special/x'),
      (seen) => seen === 'one',
      { timeoutMs: 1000, intervalMs: 20 },
    );
  });

  it('stops serving a target deleted through the other replica within a second', async () => {
    expect((await second.api('DELETE', '/api/v1/proxy/targets/live.test')).status).toBe(200);
    await waitFor(
      'the first replica to answer 404 for live.test',
      () => backendSeenBy(first, 'live.test'),
      (seen) => seen === 404,
      { timeoutMs: 1000, intervalMs: 20 },
    );
    expect(await backendSeenBy(second, 'live.test')).toBe(404);
  });

  it('lists both replicas at /api/v1/workflow/replicas (admin only), each naming itself', async () => {
    type Replicas = { replicas: { consumer: string; seen_ms_ago: number }[]; this_replica: string };
    const [a, b] = await Promise.all([
      first.api<Replicas>('GET', '/api/v1/workflow/replicas'),
      second.api<Replicas>('GET', '/api/v1/workflow/replicas'),
    ]);
    expect(a.status).toBe(200);
    expect(a.body.this_replica).not.toBe(b.body.this_replica);
    expect(a.body.replicas.map((r) => r.consumer)).toEqual([a.body.this_replica, b.body.this_replica].sort());
    expect(b.body.replicas.map((r) => r.consumer)).toEqual(a.body.replicas.map((r) => r.consumer));
    for (const r of a.body.replicas) expect(r.seen_ms_ago).toBeLessThan(15_000);
    expect((await first.api('GET', '/api/v1/workflow/replicas', { token: null })).status).toBe(401);
    // Replica names carry host names and pids: the admin token only.
    const viewer = await first.api<{ token: string }>('POST', '/api/v1/tokens', { body: { name: 'replica-viewer' } });
    expect((await first.api('GET', '/api/v1/workflow/replicas', { token: viewer.body.token })).status).toBe(403);
  });
});
