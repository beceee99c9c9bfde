import { testRedisClient } from './test-redis';

/**
 * Sets one field of a stored configuration record (`{prefix}:<entity>:<id>`, JSON) in Redis, with the
 * config version bump and publication that make every replica rebuild, as ConfigBus.commit does:
 * how a test stores what the API would refuse (a record written by an older or newer version).
 */
export async function storeRecordField(
  prefix: string,
  entity: string,
  id: string,
  field: string,
  value: unknown,
): Promise<void> {
  const redis = testRedisClient();
  const key = (...parts: string[]) => [`{${prefix}}`, ...parts].join(':');
  try {
    const raw = await redis.get(key(entity, id));
    if (raw === null) throw new Error(`${entity} ${id} is not stored`);
    const record = { ...(JSON.parse(raw) as Record<string, unknown>), [field]: value };
    const results = await redis
      .multi()
      .set(key(entity, id), JSON.stringify(record))
      .incr(key('config', 'version'))
      .exec();
    await redis.publish(key('config', 'changed'), String(Number(results?.[1]?.[1])));
  } finally {
    redis.disconnect();
  }
}
