import { Global, Module } from '@nestjs/common';
import { ConfigBus } from './config-bus';
import { RedisConnections } from './redis-connections';
import { RedisHealthIndicator } from './redis-health';
import { RedisKeys } from './redis-keys';

@Global()
@Module({
  providers: [RedisConnections, RedisKeys, ConfigBus, RedisHealthIndicator],
  exports: [RedisConnections, RedisKeys, ConfigBus, RedisHealthIndicator],
})
export class RedisModule {}
