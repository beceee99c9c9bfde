import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { RedisCluster } from './redis-cluster';
import { RedisServer } from './redis-server';
import { testTopology } from './test-redis';

/**
 * Starts the real services the tests share (a private Redis; later Pebble and the rest) and passes
 * their addresses to the test workers through the environment. Each run gets its own key prefix.
 * `TEST_REDIS_TOPOLOGY=cluster`: a six-node Redis Cluster instead of one redis-server
 * (`TEST_REDIS_CLUSTER_NODES` instead of `TEST_REDIS_URL`; suites reach it through test-redis.ts).
 */
export default async function globalSetup(): Promise<void> {
  const state = globalThis as { __TEST_REDIS__?: RedisServer | RedisCluster };
  if (testTopology() === 'cluster') {
    const cluster = await RedisCluster.start();
    state.__TEST_REDIS__ = cluster;
    delete process.env.TEST_REDIS_URL;
    process.env.TEST_REDIS_CLUSTER_NODES = cluster.serverEnv.REDIS_CLUSTER_NODES;
  } else {
    const redis = await RedisServer.start();
    state.__TEST_REDIS__ = redis;
    delete process.env.TEST_REDIS_CLUSTER_NODES;
    process.env.TEST_REDIS_URL = redis.url;
  }
  process.env.TEST_REDIS_PREFIX = `test-${randomBytes(4).toString('hex')}`;
  // The OAuth signing key every ServerProcess gets (as npm start generates one into dev-secrets).
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  process.env.TEST_OAUTH_JWT_PRIVATE_KEY_B64 = Buffer.from(
    privateKey.export({ type: 'pkcs8', format: 'pem' }),
  ).toString('base64');
}
