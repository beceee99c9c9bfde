import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { RedisServer } from './redis-server';

/**
 * Starts the real services the tests share (a private Redis; later Pebble and the rest) and passes
 * their addresses to the test workers through the environment. Each run gets its own key prefix.
 */
export default async function globalSetup(): Promise<void> {
  const redis = await RedisServer.start();
  (globalThis as { __TEST_REDIS__?: RedisServer }).__TEST_REDIS__ = redis;
  process.env.TEST_REDIS_URL = redis.url;
  process.env.TEST_REDIS_PREFIX = `test-${randomBytes(4).toString('hex')}`;
  // The OAuth signing key every ServerProcess gets (as npm start generates one into dev-secrets).
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  process.env.TEST_OAUTH_JWT_PRIVATE_KEY_B64 = Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' })).toString('base64');
}
