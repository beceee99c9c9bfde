import { RedisServer } from '../support/redis-server';
import { ServerProcess } from '../support/server-process';
import { waitFor } from '../support/wait';

interface Health {
  status: string;
  redis: { status: string; latency_ms: number | null };
  version: string;
  uptime_s: number;
  worker: { id: number; pid: number };
}

async function waitForHealth(server: ServerProcess, status: number): Promise<Health> {
  const res = await waitFor(
    `GET /health to answer ${status}`,
    async () => {
      const res = await server.api<Health>('GET', '/health', { token: null });
      return { status: res.status, text: res.text, body: res.body };
    },
    (res) => res.status === status,
    { timeoutMs: 15_000, intervalMs: 200 },
  );
  return res.body;
}

describe('GET /health', () => {
  it('is 200 with Redis up, 503 degraded while it is down, and 200 again after, without a restart', async () => {
    const redis = await RedisServer.start();
    const server = await ServerProcess.start({ env: { REDIS_URL: redis.url } });
    try {
      const up = await waitForHealth(server, 200);
      expect(up).toEqual({
        status: 'ok',
        redis: { status: 'up', latency_ms: expect.any(Number) },
        version: expect.stringMatching(/^\d+\.\d+\.\d+/),
        uptime_s: expect.any(Number),
        worker: { id: 0, pid: server.pid },
      });

      await redis.stop();
      const down = await waitForHealth(server, 503);
      expect(down).toMatchObject({ status: 'degraded', redis: { status: 'down', latency_ms: null } });

      await redis.restart();
      expect((await waitForHealth(server, 200)).status).toBe('ok');
    } finally {
      await server.stop();
      await redis.destroy();
    }
  });
});
