export { GCRA_SCRIPT, REFUND_SCRIPT } from './gcra-script';
export { hashTagOf } from './hash-tag';
export { RateLimitsModule } from './rate-limits.module';
export { groupByHashTag, LIMITER_TIMEOUT_MS, RedisRateLimiter } from './redis-rate-limiter';
