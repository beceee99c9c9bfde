import { Pebble } from '../support/pebble';
import { ServerProcess } from '../support/server-process';
import { TcpForwarder } from '../support/tcp-forwarder';
import { testRedisClient, TestRedisClient } from '../support/test-redis';
import { waitFor } from '../support/wait';

jest.setTimeout(120_000);

interface Lifecycle {
  state: string;
  reason: string | null;
}
interface Target {
  hostname: string;
  cert_name: string | null;
  lifecycle: Lifecycle;
}
interface Certificate {
  cert_name: string;
  status: string;
  error: string | null;
  fingerprint: string | null;
}
interface WorkflowEvent {
  id: string;
  type: string;
  payload: Record<string, unknown>;
  origin: string;
}

/** Probing pace and the longest an order, a takeover or a sweep may take to show. */
const SETTLE = { timeoutMs: 60_000, intervalMs: 200 };

/**
 * Three replicas on one Redis order certificates from Pebble through the workflow bus. Pebble
 * validates HTTP-01 through a loopback TCP balancer in front of the three HTTP listeners (whichever
 * replica is alive answers, from Redis), and reaches Pebble's ACME port through a forwarder the
 * test can pause to keep an order in flight.
 */
describe('workflow: certificate orders across three replicas (Pebble)', () => {
  let pebble: Pebble;
  let acmeGate: TcpForwarder;
  let balancer: TcpForwarder;
  let replicas: ServerProcess[] = [];
  let redis: TestRedisClient;

  const orderCount = () => (pebble.logs.match(/Added order/g) ?? []).length;
  const live = () => replicas.filter((r) => r.pid !== undefined);
  const createTarget = (server: ServerProcess, hostname: string) =>
    server.api<{ proxy_target: Target; certificate_status: string; cert_name: string }>(
      'POST',
      '/api/v1/proxy/targets',
      { body: { hostname, target_url: 'http://127.0.0.1:9' } },
    );
  const certificate = async (server: ServerProcess, name: string) =>
    (await server.api<Certificate>('GET', `/api/v1/certificates/${name}`)).body;

  beforeAll(async () => {
    redis = testRedisClient();
    pebble = await Pebble.prepare();
    acmeGate = await TcpForwarder.start(() => [pebble.acmePort]);
    balancer = await TcpForwarder.start(() => live().map((r) => r.httpPort));
    const env = {
      ...pebble.serverEnv,
      ACME_DIRECTORY_URL: `https://127.0.0.1:${acmeGate.port}/dir`,
      ACME_STAGING_URL: `https://127.0.0.1:${acmeGate.port}/dir`,
      AUTO_CERTIFICATES: 'true',
      ADMIN_EMAIL: 'certs@example.org',
      WORKFLOW_CLAIM_TIMEOUT_MS: '3000',
      WORKFLOW_RETRY_BASE_MS: '500',
    };
    const first = await ServerProcess.start({ env });
    replicas = [
      first,
      await ServerProcess.start({ env, keyPrefix: first.keyPrefix }),
      await ServerProcess.start({ env, keyPrefix: first.keyPrefix }),
    ];
    await pebble.start(balancer.port);
  });

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await acmeGate?.close();
    await balancer?.close();
    await pebble?.stop();
    redis?.disconnect();
  });

  it('handles a burst of proxy creations on all replicas with exactly one certificate order each', async () => {
    const hosts = Array.from({ length: 9 }, (_, i) => `burst-${i}.example.test`);
    const before = orderCount();
    const created = await Promise.all(hosts.map((host, i) => createTarget(replicas[i % 3], host)));
    for (const [i, res] of created.entries()) {
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        certificate_status: 'pending',
        cert_name: `proxy-${hosts[i].replace(/\./g, '-')}`,
      });
      expect(res.body.proxy_target.lifecycle).toEqual({ state: 'pending', reason: null });
    }
    const targets = await waitFor(
      `all ${hosts.length} proxy targets ready`,
      async () => (await replicas[2].api<Target[]>('GET', '/api/v1/proxy/targets')).body,
      (list) => list.length === hosts.length && list.every((t) => t.lifecycle.state === 'ready'),
      SETTLE,
    );
    expect(targets.map((t) => t.lifecycle)).toEqual(hosts.map(() => ({ state: 'ready', reason: null })));
    for (const host of hosts)
      expect(await certificate(replicas[0], `proxy-${host.replace(/\./g, '-')}`)).toMatchObject({
        status: 'active',
        error: null,
      });

    // Pebble saw exactly one order per hostname.
    expect(orderCount() - before).toBe(hosts.length);
    const events = (await replicas[1].api<{ events: WorkflowEvent[] }>('GET', '/api/v1/workflow/events?limit=200')).body
      .events;
    const count = (type: string) =>
      events.filter(
        (e) =>
          e.type === type &&
          hosts.some((h) => JSON.stringify(e.payload).includes(h.replace(/\./g, '-')) || e.payload.hostname === h),
      ).length;
    expect(count('proxy.created')).toBe(hosts.length);
    expect(count('certificate.order_requested')).toBe(hosts.length);
    expect(count('certificate.issued')).toBe(hosts.length);
    // Work was spread: the orders' results were published by more than one replica.
    expect(new Set(events.filter((e) => e.type === 'certificate.issued').map((e) => e.origin)).size).toBeGreaterThan(1);
    const dead = (await replicas[0].api<{ dead_letters: unknown[] }>('GET', '/api/v1/workflow/dead-letters')).body;
    expect(dead.dead_letters).toEqual([]);
  });

  it('hands an in-flight order of a killed replica to another, which completes it', async () => {
    const host = 'takeover.example.test';
    const name = 'proxy-takeover-example-test';
    const stream = `{${replicas[0].keyPrefix}}:workflow:events`;
    acmeGate.pause(); // the order that picks this up hangs talking to the CA
    expect((await createTarget(replicas[0], host)).status).toBe(201);
    const pending = await waitFor(
      'the order pending in the certificates group',
      async () => (await redis.xpending(stream, 'certificates', '-', '+', 10)) as [string, string, number, number][],
      (entries) => entries.length === 1,
      { ...SETTLE, timeoutMs: 10_000 },
    );
    expect(pending).toHaveLength(1);
    const holderName = pending[0][1];
    const holder = replicas.find((r) => r.pid !== undefined && holderName.includes(`-${r.pid}-`));
    expect(holder).toBeDefined();
    // The holder reads the record and takes the order lock just after the delivery: wait for the lock.
    await waitFor(
      'the order lock held',
      () => redis.exists(`{${replicas[0].keyPrefix}}:lock:certificate:${name}`),
      (held) => held === 1,
      { ...SETTLE, timeoutMs: 10_000 },
    );
    await holder!.stop('SIGKILL');
    acmeGate.resume();

    const done = await waitFor(
      'the taken-over certificate to turn active',
      () => certificate(live()[0], name),
      (c) => c.status === 'active',
      SETTLE,
    );
    expect(done).toMatchObject({ status: 'active', error: null });
    // Another replica took the message over and acknowledged it (the record turns active just before the ack).
    const after = await waitFor(
      'nothing pending in the certificates group',
      async () => (await redis.xpending(stream, 'certificates', '-', '+', 10)) as unknown[],
      (p) => p.length === 0,
      { ...SETTLE, timeoutMs: 10_000 },
    );
    expect(after).toEqual([]);
    const target = (await live()[0].api<Target>('GET', `/api/v1/proxy/targets/${host}`)).body;
    expect(target.lifecycle).toEqual({ state: 'ready', reason: null });
    const issued = await waitFor(
      'the certificate.issued event of the taken-over order',
      async () =>
        (
          await live()[1].api<{ events: WorkflowEvent[] }>('GET', '/api/v1/workflow/events?type=certificate.issued')
        ).body.events.filter((e) => e.payload.cert_name === name),
      (events) => events.length > 0,
      { ...SETTLE, timeoutMs: 10_000 },
    );
    expect(issued).toHaveLength(1);
    expect(issued[0].origin).not.toBe(holderName);
    expect(holder!.pid).toBeUndefined();
  });

  it('serves the workflow API to the admin only, and answers 404 for unknown dead letters', async () => {
    const user = await live()[0].api<{ token: string }>('POST', '/api/v1/tokens', { body: { name: 'workflow-user' } });
    expect(user.status).toBe(201);
    for (const path of ['/api/v1/workflow/events', '/api/v1/workflow/dead-letters']) {
      expect((await live()[0].api('GET', path, { token: user.body.token })).status).toBe(403);
      expect((await live()[0].api('GET', path, { token: null })).status).toBe(401);
    }
    const retry = await live()[0].api<{ statusCode: number; message: string }>(
      'POST',
      '/api/v1/workflow/dead-letters/1-0/retry',
    );
    expect(retry.status).toBe(404);
    expect(retry.body.message).toMatch(/dead letter "1-0"/);
    expect((await live()[0].api('DELETE', '/api/v1/workflow/dead-letters/not-an-id')).status).toBe(404);
    const bad = await live()[0].api<{ message: string }>('GET', '/api/v1/workflow/events?limit=0');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/limit must be at least 1/);
    // The gauges are refreshed by each replica's sweep (about every second): wait for the settled state.
    const { text: metrics } = await waitFor(
      'the certificates group gauge at 0 pending',
      async () => {
        const text = await (await fetch(`${live()[0].apiUrl}/metrics`)).text();
        return {
          pending: /proxy_event_bus_pending\{stream="workflow:events",group="certificates"\} \S+/.exec(text)?.[0],
          text,
        };
      },
      ({ text }) => /proxy_event_bus_pending\{stream="workflow:events",group="certificates"\} 0/.test(text),
      { ...SETTLE, timeoutMs: 10_000 },
    );
    expect(metrics).toMatch(/proxy_event_bus_pending\{stream="workflow:events",group="certificates"\} 0/);
    expect(metrics).toMatch(/proxy_event_bus_dead_letters\{stream="workflow:dead-letters"\} 0/);
  });
});
