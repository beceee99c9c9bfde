import { Global, Module } from '@nestjs/common';
import { RATE_LIMITER } from '@app/dispatcher';
import { RedisRateLimiter } from './redis-rate-limiter';

/** Provides the dispatcher's RATE_LIMITER (global, as the dispatcher's other seams are). */
@Global()
@Module({
  providers: [RedisRateLimiter, { provide: RATE_LIMITER, useExisting: RedisRateLimiter }],
  exports: [RATE_LIMITER],
})
export class RateLimitsModule {}
