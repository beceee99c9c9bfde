import { createServer } from 'node:net';
import { ServerProcess } from '../support/server-process';

interface Allocation {
  port: number;
  bind_address: string;
  owner: string;
  service: string | null;
}

/** A block of host ports unlikely to be used by another suite running at the same time. */
/**
 * A block of 60 ports for this run in 30000-32759: below the kernel's ephemeral range (32768+, used
 * by outgoing connections), above freeLowPort's 20000-29999 and below freePort's range (above the
 * ephemeral range), so nothing else in the suite takes ours.
 */
function portBlock(): number {
  return 30000 + Math.floor(Math.random() * 27) * 100;
}

describe('port allocation (Redis-side, across replicas)', () => {
  const base = portBlock();
  // base+3 is reserved: it must never be handed out.
  const env = {
    PORTS_INTERNAL_RANGE: `${base}-${base + 39}`,
    PORTS_EXPOSED_RANGE: `${base + 50}-${base + 59}`,
    PORTS_RESERVED: `22,${base + 3}`,
  };
  let first: ServerProcess;
  let second: ServerProcess;

  beforeAll(async () => {
    first = await ServerProcess.start({ env });
    second = await ServerProcess.start({ env, keyPrefix: first.keyPrefix });
  });
  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
  });

  it('gives 20 concurrent allocations on two replicas 20 different ports, skipping reserved ones', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? first : second).api<Allocation>('POST', '/api/v1/ports', {
          body: { description: `parallel ${i}` },
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
    const ports = results.map((r) => r.body.port);
    expect(new Set(ports).size).toBe(20);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(base);
      expect(port).toBeLessThanOrEqual(base + 39);
    }
    expect(ports).not.toContain(base + 3);
    const listed = await first.api<Allocation[]>('GET', '/api/v1/ports');
    expect(listed.body.map((a) => a.port).sort()).toEqual([...ports].sort());
    for (const a of listed.body) expect(a).toMatchObject({ bind_address: '127.0.0.1', owner: 'ADMIN', service: null });
  });

  it('checks a port and explains why it is not available', async () => {
    const taken = (await first.api<Allocation[]>('GET', '/api/v1/ports')).body[0].port;
    const check = await second.api('GET', `/api/v1/ports/check/${taken}`);
    expect(check.status).toBe(200);
    expect(check.body).toMatchObject({
      port: taken,
      available: false,
      allocated: true,
      reason: 'already allocated',
      range: 'internal',
    });
    const reserved = await first.api('GET', `/api/v1/ports/check/${base + 3}`);
    expect(reserved.body).toMatchObject({ available: false, reserved: true, reason: 'reserved' });
    const outside = await first.api('GET', `/api/v1/ports/check/${base + 45}`);
    expect(outside.body).toMatchObject({
      available: false,
      range: null,
      reason: `outside the internal range ${base}-${base + 39} for 127.0.0.1`,
    });
    const free = await first.api('GET', `/api/v1/ports/check/${base + 30}`);
    expect(free.body).toMatchObject({
      port: base + 30,
      available: true,
      allocated: false,
      reserved: false,
      host_free: true,
      reason: null,
    });
    const available = await first.api<{ ports: number[]; range: string }>('GET', '/api/v1/ports/available?count=3');
    expect(available.status).toBe(200);
    expect(available.body.range).toBe('internal');
    expect(available.body.ports).toHaveLength(3);
    const allocated = new Set((await first.api<Allocation[]>('GET', '/api/v1/ports')).body.map((a) => a.port));
    for (const p of available.body.ports) expect(allocated.has(p) || p === base + 3).toBe(false);
  });

  it('refuses a taken, out-of-range or host-busy explicit port', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(base + 38, '127.0.0.1', resolve));
    try {
      const refused = await first.api<{ message: string }>('POST', '/api/v1/ports', { body: { port: base + 38 } });
      expect(refused.status).toBe(409);
      expect(refused.body.message).toBe(
        `port ${base + 38} is in use on the host by a program this server does not manage`,
      );
      expect((await first.api('GET', `/api/v1/ports/check/${base + 38}`)).body).toMatchObject({
        available: false,
        allocated: false,
        host_free: false,
        reason: 'in use on the host',
      });
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
    const taken = (await first.api<Allocation[]>('GET', '/api/v1/ports')).body[0].port;
    expect((await first.api('POST', '/api/v1/ports', { body: { port: taken } })).status).toBe(409);
    const outside = await first.api<{ message: string }>('POST', '/api/v1/ports', { body: { port: base + 45 } });
    expect(outside.status).toBe(400);
    expect(outside.body.message).toBe(
      `port ${base + 45} is outside the internal range ${base}-${base + 39} for bind address 127.0.0.1`,
    );
    expect((await first.api('POST', '/api/v1/ports', { body: { port: 70000 } })).status).toBe(400);
  });

  it('allows 0.0.0.0 only for the admin, from the exposed range', async () => {
    const token = (
      await first.api<{ token: string }>('POST', '/api/v1/tokens', { body: { name: `ports-user-${base}` } })
    ).body.token;
    const denied = await first.api<{ message: string }>('POST', '/api/v1/ports', {
      token,
      body: { bind_address: '0.0.0.0' },
    });
    expect(denied.status).toBe(403);
    expect(denied.body.message).toContain('0.0.0.0 needs the admin token');
    const own = await first.api<Allocation>('POST', '/api/v1/ports', { token, body: {} });
    expect(own.status).toBe(201);
    expect(own.body.owner).toBe(`ports-user-${base}`);
    // The user sees only its own allocation and cannot release the admin's.
    const mine = await first.api<Allocation[]>('GET', '/api/v1/ports', { token });
    expect(mine.body.map((a) => a.port)).toEqual([own.body.port]);
    const adminPort = (await first.api<Allocation[]>('GET', '/api/v1/ports')).body.find(
      (a) => a.owner === 'ADMIN',
    )!.port;
    expect((await first.api('DELETE', `/api/v1/ports/${adminPort}`, { token })).status).toBe(403);
    const exposed = await first.api<Allocation>('POST', '/api/v1/ports', { body: { bind_address: '0.0.0.0' } });
    expect(exposed.status).toBe(201);
    expect(exposed.body.port).toBeGreaterThanOrEqual(base + 50);
    expect(exposed.body.port).toBeLessThanOrEqual(base + 59);
    // Deleting the token releases what it owned.
    expect((await first.api('DELETE', `/api/v1/tokens/ports-user-${base}`)).body).toMatchObject({
      deleted: { ports: 1 },
    });
    expect((await first.api<Allocation[]>('GET', '/api/v1/ports')).body.map((a) => a.port)).not.toContain(
      own.body.port,
    );
  });

  it('releases an allocation', async () => {
    const port = (await first.api<Allocation[]>('GET', '/api/v1/ports')).body[0].port;
    const released = await second.api<Allocation>('DELETE', `/api/v1/ports/${port}`);
    expect(released.status).toBe(200);
    expect(released.body.port).toBe(port);
    expect((await first.api('GET', `/api/v1/ports/check/${port}`)).body).toMatchObject({ available: true });
    expect((await first.api('DELETE', `/api/v1/ports/${port}`)).status).toBe(404);
  });
});

describe('Docker Engine unreachable', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await ServerProcess.start({
      env: { DOCKER_SOCKET_PATH: '/nonexistent/docker.sock', DOCKER_IMAGE_ALLOWLIST: 'busybox:*' },
    });
  });
  afterAll(() => server?.stop());

  it('starts anyway and answers 503 naming the engine address and the reason', async () => {
    expect((await server.api('GET', '/health')).status).toBe(200);
    const res = await server.api<{ statusCode: number; message: string }>('POST', '/api/v1/services', {
      body: { service_name: 'web', image: 'busybox:1', internal_port: 80 },
    });
    expect(res.status).toBe(503);
    expect(res.body.message).toMatch(/^Docker Engine unreachable at unix:\/\/\/nonexistent\/docker\.sock: ENOENT/);
    expect((await server.api('GET', '/api/v1/services/reconciliation')).status).toBe(503);
    // Nothing half-made stays behind.
    expect((await server.api('GET', '/api/v1/services')).body).toEqual([]);
    expect((await server.api('GET', '/api/v1/ports')).body).toEqual([]);
  });
});
