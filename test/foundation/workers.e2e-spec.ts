import * as http from 'node:http';
import * as tls from 'node:tls';
import { Backend, echoBackend, publicRequest } from '../support/loopback';
import { waitFor, waitUntil } from '../support/wait';
import { PromScrape } from '../support/prometheus';
import { RedisServer } from '../support/redis-server';
import { runServerExpectingExit, ServerProcess } from '../support/server-process';

interface Health {
  status: string;
  worker: { id: number; pid: number };
}

/** GET on a fresh connection (no keep-alive), so each request may reach another worker. */
function freshGet(port: number, path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`GET ${path}: no answer within 5 s`)));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Worker pids answering /health on `tries` fresh connections, stopping once `count` distinct ones were seen (a failed request is a try). */
async function sampleWorkerPids(server: ServerProcess, count: number, tries: number): Promise<Set<number>> {
  const seen = new Set<number>();
  for (let i = 0; i < tries && seen.size < count; i++) {
    const res = await freshGet(server.apiPort, '/health').catch(() => ({ status: 0, text: '' }));
    if (res.status === 200) seen.add((JSON.parse(res.text) as Health).worker.pid);
  }
  return seen;
}

/** Waits until `count` distinct worker pids have answered /health on fresh connections. */
async function workerPids(server: ServerProcess, count: number): Promise<Set<number>> {
  const seen = new Set<number>();
  return waitFor(
    `${count} distinct worker pids answering GET /health on fresh connections (value: pids seen)`,
    async () => {
      for (const pid of await sampleWorkerPids(server, count, 1)) seen.add(pid);
      return seen;
    },
    (pids) => pids.size >= count,
    { timeoutMs: 10_000, intervalMs: 10 },
  );
}

const HOST = 'workers.test';

/** Opens GET /api/v1/logs/follow; resolves once open, with a promise of how the stream ended. */
function follow(server: ServerProcess): Promise<{ ended: Promise<'complete' | 'cut off'> }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        host: '127.0.0.1',
        port: server.apiPort,
        path: '/api/v1/logs/follow',
        headers: { authorization: `Bearer ${server.adminToken}` },
        agent: false,
      },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`follow answered ${res.statusCode}`));
        res.resume();
        resolve({
          ended: new Promise((ended) => res.once('close', () => ended(res.complete ? 'complete' : 'cut off'))),
        });
      },
    );
    req.on('error', reject);
  });
}

/**
 * WORKERS=2: a cluster primary and two full-server workers sharing the admin and public listeners.
 * A private Redis, so the suite's key space and load stay its own.
 */
describe('WORKERS=2 (cluster mode)', () => {
  let redis: RedisServer;
  let server: ServerProcess;
  let backend: Backend;

  beforeAll(async () => {
    [redis, backend] = await Promise.all([RedisServer.start(), echoBackend('workers')]);
    // No OAUTH_JWT_PRIVATE_KEY_B64: the primary must generate one key for both workers.
    server = await ServerProcess.prepare({ env: { REDIS_URL: redis.url, WORKERS: '2', LOG_LEVEL: 'info' } });
    delete server.env.OAUTH_JWT_PRIVATE_KEY_B64;
    await server.launch();
    // launch() returns when the first worker answers; the tests want both.
    await waitUntil(
      'the primary to log "all 2 workers serving"',
      () => server.logs.includes('"msg":"all 2 workers serving"'),
      { timeoutMs: 20_000, intervalMs: 100, details: () => `server output:\n${server.logs}` },
    );
  });
  afterAll(async () => {
    await Promise.all([server?.stop(), backend?.close()]);
    await redis?.destroy();
  });

  it('runs two worker processes besides the primary, both answering on the shared admin port', async () => {
    const pids = await workerPids(server, 2);
    expect(pids.size).toBe(2);
    expect(pids.has(server.pid!)).toBe(false);
  });

  it('serves a proxy target created through the API on every worker (fresh connections)', async () => {
    expect(
      (await server.api('POST', '/api/v1/proxy/targets', { body: { hostname: HOST, target_url: backend.url } })).status,
    ).toBe(201);
    // The worker that took the write serves it at once; the other follows on the pub/sub message.
    const statuses = async () =>
      Promise.all(
        Array.from(
          { length: 10 },
          async () => (await publicRequest({ port: server.httpPort, host: HOST, path: '/warm' })).status,
        ),
      );
    await waitFor(
      '10 requests in a row answered 200 (value: their statuses)',
      statuses,
      (all) => all.every((s) => s === 200),
      { timeoutMs: 3000, intervalMs: 50 },
    );
    const results = [];
    for (let i = 0; i < 40; i++)
      results.push(await publicRequest({ port: server.httpPort, host: HOST, path: `/fresh/${i}` }));
    expect(results.map((r) => r.status)).toEqual(Array(40).fill(200));
    expect(results.every((r) => r.json().backend === 'workers')).toBe(true);
  });

  it('reports the sum over all workers on /metrics, whichever worker answers the scrape', async () => {
    const scrape = async () => new PromScrape((await freshGet(server.apiPort, '/metrics')).text);
    const labels = { listener: 'http', host: HOST, status_class: '2xx' };
    const before = (await scrape()).value('proxy_requests_total', labels);
    for (let i = 0; i < 30; i++)
      expect((await publicRequest({ port: server.httpPort, host: HOST, path: `/count/${i}` })).status).toBe(200);
    // The 30 fresh connections were spread over both workers, and so are the scrapes: each must see all 30.
    for (let i = 0; i < 4; i++) expect((await scrape()).value('proxy_requests_total', labels) - before).toBe(30);
    // Gauges that every worker measures the same are not summed.
    expect((await scrape()).value('proxy_redis_up')).toBe(1);
  });

  it('shares one OAuth signing key and one fallback TLS certificate between the workers', async () => {
    const kids = new Set<string>();
    const fingerprints = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const jwks = JSON.parse((await freshGet(server.apiPort, '/jwks')).text) as { keys: { kid: string }[] };
      jwks.keys.forEach((k) => kids.add(k.kid));
      fingerprints.add(
        await new Promise<string>((resolve, reject) => {
          const socket = tls.connect(
            {
              host: '127.0.0.1',
              port: server.httpsPort,
              servername: 'unknown.example.test',
              rejectUnauthorized: false,
            },
            () => {
              resolve(socket.getPeerCertificate().fingerprint256);
              socket.destroy();
            },
          );
          socket.on('error', reject);
        }),
      );
    }
    expect(kids.size).toBe(1);
    expect(fingerprints.size).toBe(1);
  });

  it('restarts a worker killed with SIGKILL, and traffic continues on both', async () => {
    const before = await workerPids(server, 2);
    expect(before.size).toBe(2);
    const [victim] = [...before];
    process.kill(victim, 'SIGKILL');
    await waitFor(
      `a restarted worker answering (value: pids seen in 20 requests; before: ${[...before].join(', ')})`,
      () => sampleWorkerPids(server, 2, 20),
      (pids) => [...pids].some((pid) => !before.has(pid)),
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    const after = await workerPids(server, 2);
    expect(after.size).toBe(2);
    expect(after.has(victim)).toBe(false);
    expect(server.logs).toMatch(new RegExp(`worker \\d+ \\(pid ${victim}\\) died \\(signal SIGKILL\\)`));
    const statuses = [];
    for (let i = 0; i < 20; i++)
      statuses.push((await publicRequest({ port: server.httpPort, host: HOST, path: `/after/${i}` })).status);
    expect(statuses).toEqual(Array(20).fill(200));
  });

  it('stops every process on SIGTERM to the primary, after the workers ran their shutdown hooks', async () => {
    const workers = await workerPids(server, 2);
    const primary = server.pid!;
    // Live-log followers (SSE) on fresh connections, so on both workers: a worker's shutdown hooks
    // end them cleanly (LogFollowHub.beforeApplicationShutdown); a worker that just died would cut
    // them off mid-stream (an incomplete response).
    const follows = await Promise.all(Array.from({ length: 8 }, () => follow(server)));
    const stopped = await server.stop();
    expect(await Promise.all(follows.map((f) => f.ended))).toEqual(Array(8).fill('complete'));
    expect(stopped).toBeNull(); // left on SIGTERM like a single process, not on the hard timeout
    expect([primary, ...workers].filter(alive)).toEqual([]);
    expect(server.logs).toMatch(/"msg":"SIGTERM: stopping 2 workers"/);
    for (const pid of workers)
      expect(server.logs).toMatch(new RegExp(`worker \\d+ \\(pid ${pid}\\) stopped \\(signal SIGTERM\\)`));
  });

  it('exits 2 with the one-line message on a configuration error, with WORKERS=2 as without', async () => {
    const bad = await runServerExpectingExit({
      WORKERS: '2',
      REDIS_URL: 'not-a-url',
      ADMIN_TOKEN: 'acm_0123456789abcdefghij',
    });
    expect(bad.code).toBe(2);
    expect(bad.output.trim().split('\n')).toEqual([
      'configuration error: REDIS_URL must be a redis:// or rediss:// URL, e.g. redis://:password@127.0.0.1:6379/0 (got "not-a-url")',
    ]);
    const zero = await runServerExpectingExit({ WORKERS: '0', ADMIN_TOKEN: 'acm_0123456789abcdefghij' });
    expect(zero.code).toBe(2);
    expect(zero.output.trim().split('\n')).toEqual([
      'configuration error: WORKERS must be a positive whole number or "auto" (one worker per CPU) (got "0")',
    ]);
  });
});
