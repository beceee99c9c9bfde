import { Global, Module } from '@nestjs/common';
import { ConfigBus } from './config-bus';
import { RedisConnections } from './redis-connections';
import { RedisHealthIndicator } from './redis-health';
import { RedisKeys } from './redis-keys';
import { RedisLocks } from './redis-locks';

@Global()
@Module({
  providers: [RedisConnections, RedisKeys, ConfigBus, RedisHealthIndicator, RedisLocks],
  exports: [RedisConnections, RedisKeys, ConfigBus, RedisHealthIndicator, RedisLocks],
})
export class RedisModule {}
