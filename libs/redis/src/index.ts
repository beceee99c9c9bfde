export { ConfigBus, type ConfigChangeListener } from './config-bus';
export { CorruptRecordError, decodeRecord, encodeRecord } from './record-codec';
export { RedisConnections, type RedisClient } from './redis-connections';
export { RedisHealthIndicator, type RedisHealth } from './redis-health';
export { RedisKeys } from './redis-keys';
export { RedisLocks, type HeldLock } from './redis-locks';
export { RedisModule } from './redis.module';
