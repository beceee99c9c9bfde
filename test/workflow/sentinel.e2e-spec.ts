import { Backend, echoBackend, publicRequest } from '../support/loopback';
import { RedisSentinelSetup } from '../support/redis-sentinel';
import { ServerProcess } from '../support/server-process';
import { quietPeriod, waitFor } from '../support/wait';

jest.setTimeout(120_000);

interface Target {
  hostname: string;
  target_url: string;
}

/**
 * Redis Sentinel (Debian redis-sentinel, a primary and a replica on loopback): the primary is
 * killed while requests flow through the proxy. Proxying goes on from memory, writes resume on the
 * promoted replica, and what was written before the failover is still there.
 */
describe('Redis Sentinel failover', () => {
  let sentinel: RedisSentinelSetup;
  let server: ServerProcess;
  let backend: Backend;

  beforeAll(async () => {
    sentinel = await RedisSentinelSetup.start();
    backend = await echoBackend('sentinel-backend');
    server = await ServerProcess.start({ env: { ...sentinel.serverEnv, REDIS_WAIT_REPLICAS: '1' } });
  });

  afterAll(async () => {
    await server?.stop();
    await backend?.close();
    await sentinel?.stop();
  });

  const proxied = async (host: string) => {
    try {
      return (await publicRequest({ port: server.httpPort, host, path: '/ping' })).status;
    } catch (error) {
      return `error: ${(error as Error).message}`;
    }
  };

  it('keeps proxying through a failover, resumes writes, and loses nothing written before', async () => {
    // Written before the failover: a token, a proxy target (and its workflow event).
    const token = await server.api<{ name: string; token: string }>('POST', '/api/v1/tokens', {
      body: { name: 'before-failover' },
    });
    expect(token.status).toBe(201);
    const before = await server.api('POST', '/api/v1/proxy/targets', {
      body: { hostname: 'before.example.test', target_url: backend.url },
    });
    expect(before.status).toBe(201);
    expect(await proxied('before.example.test')).toBe(200);

    // Requests flow while the primary dies and the sentinel promotes the replica.
    const statuses: (number | string)[] = [];
    let flowing = true;
    const flow = (async () => {
      while (flowing) {
        statuses.push(await proxied('before.example.test'));
        await quietPeriod(20, 'paces the traffic that flows through the failover');
      }
    })();
    const { old, promoted } = await sentinel.killPrimary();
    expect(promoted).not.toBe(old);

    // Writes resume once the server's connection has followed the sentinel to the new primary.
    let created: Awaited<ReturnType<typeof server.api>>;
    try {
      created = await waitFor(
        'a write to be answered other than 503 (value: the response)',
        () =>
          server.api('POST', '/api/v1/proxy/targets', {
            body: { hostname: 'after.example.test', target_url: backend.url },
          }),
        (res) => res.status !== 503,
        { timeoutMs: 30_000, intervalMs: 200 },
      );
    } finally {
      flowing = false;
      await flow;
    }
    expect(created.status).toBe(201);
    expect(statuses.length).toBeGreaterThan(10);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(await proxied('after.example.test')).toBe(200);

    // Nothing written before the failover is lost: through the API and on the promoted node itself.
    const targets = (await server.api<Target[]>('GET', '/api/v1/proxy/targets')).body.map((t) => t.hostname).sort();
    expect(targets).toEqual(['after.example.test', 'before.example.test']);
    const tokens = (await server.api<{ name: string }[]>('GET', '/api/v1/tokens')).body.map((t) => t.name);
    expect(tokens).toContain('before-failover');
    expect((await server.api('GET', '/api/v1/tokens/before-failover')).status).toBe(200);
    const prefix = `{${server.keyPrefix}}`;
    expect(await sentinel.command(promoted, 'EXISTS', `${prefix}:token:before-failover`)).toBe(1);
    // The workflow stream moved along: the event published before the failover is still there.
    const events = (
      await server.api<{ events: { type: string; payload: { hostname?: string } }[] }>(
        'GET',
        '/api/v1/workflow/events?type=proxy.created',
      )
    ).body.events;
    expect(events.map((e) => e.payload.hostname).sort()).toEqual(['after.example.test', 'before.example.test']);
  });
});
