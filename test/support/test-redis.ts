import Redis, { Cluster } from 'ioredis';

/**
 * The suite's Redis, whichever topology this run uses. `TEST_REDIS_TOPOLOGY=cluster` (the second
 * e2e pass of `npm test`, `npm run test:cluster`) makes global-setup start a six-node Redis Cluster
 * instead of one redis-server; every suite reaches Redis only through these helpers (and
 * `ServerProcess`), so the same suite runs on either topology.
 */
export type TestTopology = 'standalone' | 'cluster';
export type TestRedisClient = Redis | Cluster;

export function testTopology(): TestTopology {
  return process.env.TEST_REDIS_TOPOLOGY === 'cluster' ? 'cluster' : 'standalone';
}

/**
 * The server environment that points at the suite's Redis: `REDIS_URL` (standalone) or
 * `REDIS_CLUSTER_NODES` (cluster). For `ServerProcess`, `parseEnvironment` in in-process suites and
 * hand-started servers alike.
 */
export function testRedisEnv(): Record<string, string> {
  if (testTopology() === 'cluster') {
    const nodes = process.env.TEST_REDIS_CLUSTER_NODES;
    if (!nodes)
      throw new Error('TEST_REDIS_CLUSTER_NODES is not set: the cluster is started by test/support/global-setup.ts');
    return { REDIS_CLUSTER_NODES: nodes };
  }
  const url = process.env.TEST_REDIS_URL;
  if (!url) throw new Error('TEST_REDIS_URL is not set: redis-server is started by test/support/global-setup.ts');
  return { REDIS_URL: url };
}

/** A client of the suite's Redis (a `Cluster` client in cluster mode). Disconnect it when done. */
export function testRedisClient(): TestRedisClient {
  if (testTopology() === 'cluster') {
    const nodes = testRedisEnv()
      .REDIS_CLUSTER_NODES.split(',')
      .map((hostPort) => {
        const [host, port] = hostPort.split(':');
        return { host, port: Number(port) };
      });
    return new Cluster(nodes);
  }
  return new Redis(testRedisEnv().REDIS_URL);
}

/** Every key matching `pattern` (SCAN on every primary in cluster mode). */
export async function scanKeys(client: TestRedisClient, pattern: string): Promise<string[]> {
  const nodes = client instanceof Cluster ? await primaries(client) : [client];
  const keys: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
  }
  return keys;
}

/** The primaries of a cluster client, once it has discovered them (none are listed before it is ready). */
export async function primaries(client: Cluster): Promise<Redis[]> {
  if (client.status !== 'ready')
    await new Promise<void>((resolve, reject) => {
      client.once('ready', () => resolve());
      client.once('end', () => reject(new Error('cluster client closed before ready')));
    });
  return client.nodes('master');
}
