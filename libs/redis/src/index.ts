export { CoalescedRun } from './coalesced-run';
export { ConfigBus, type ConfigChangeListener } from './config-bus';
export { ConfiguredRecordStore, type RecordStoreShape } from './configured-record-store';
export { CorruptRecordError, decodeRecord, encodeRecord } from './record-codec';
export { RedisConnections, type RedisClient } from './redis-connections';
export { RedisHealthIndicator, type RedisHealth } from './redis-health';
export { RedisKeys } from './redis-keys';
export { RedisLocks, type HeldLock } from './redis-locks';
export { RedisModule } from './redis.module';
