import type { ServerProcess } from './server-process';
import { testRedisClient } from './test-redis';
import { waitUntil } from './wait';

/**
 * Sets the MCP policy of a proxy target's resource (the one at `endpoint`) through the API contract,
 * `PUT /api/v1/resources/{id}/policy`, and waits until the data path serves it (`served`: a request
 * only the new policy answers as expected).
 *
 * Until the policy API is merged (branch i18-policy), a server without that route gets the policy
 * the way the API will store it: the resource record's `policy` field in Redis, committed with a
 * `config:version` bump and published on `config:changed`, as ConfigBus.commit does.
 */
export async function setResourcePolicy(
  server: ServerProcess,
  hostname: string,
  endpoint: string,
  policy: unknown,
  served: () => Promise<boolean>,
): Promise<void> {
  const resource = await resourceAt(server, hostname, endpoint);
  const put = await server.api('PUT', `/api/v1/resources/${encodeURIComponent(resource.id)}/policy`, { body: policy });
  if (put.status === 404 && /Cannot PUT/.test(put.text)) await storePolicy(server.keyPrefix, resource.id, policy);
  else if (put.status !== 200) throw new Error(`policy of ${resource.id}: ${put.status} ${put.text}`);
  await waitUntil(`the policy of ${hostname}${endpoint} served`, served, { timeoutMs: 10_000, intervalMs: 50 });
}

/** The registry entry of a proxy target's resource at `endpoint`. */
export async function resourceAt(
  server: ServerProcess,
  hostname: string,
  endpoint: string,
): Promise<{ id: string; uri: string }> {
  const listed = await server.api<{ id: string; uri: string }[]>('GET', `/api/v1/proxy/targets/${hostname}/resource`);
  if (listed.status !== 200) throw new Error(`resources of ${hostname}: ${listed.status} ${listed.text}`);
  const resource = listed.body.find((r) => new URL(r.uri).pathname.replace(/\/+$/, '') === endpoint);
  if (!resource) throw new Error(`${hostname} has no resource at ${endpoint}: ${listed.text}`);
  return resource;
}

/**
 * The resource record's `policy` written in Redis as the API stores it, with the config bump that
 * makes every replica rebuild (also how a test stores a policy the API would refuse).
 */
export async function storePolicy(prefix: string, id: string, policy: unknown): Promise<void> {
  const redis = testRedisClient();
  const key = (...parts: string[]) => [`{${prefix}}`, ...parts].join(':');
  try {
    const raw = await redis.get(key('resource', id));
    if (raw === null) throw new Error(`resource ${id} is not stored`);
    const record = { ...(JSON.parse(raw) as Record<string, unknown>), policy };
    const results = await redis
      .multi()
      .set(key('resource', id), JSON.stringify(record))
      .incr(key('config', 'version'))
      .exec();
    const version = Number(results?.[1]?.[1]);
    await redis.publish(key('config', 'changed'), String(version));
  } finally {
    redis.disconnect();
  }
}
