import { Module } from '@nestjs/common';
import { AdminRequestLogHook } from './admin-request-log.hook';
import { LogClock } from './clock';
import { HostOwnership } from './host-ownership';
import { LogFollowHub } from './log-follow.hub';
import { LogsController } from './logs.controller';
import { RequestLogQuery } from './request-log.query';
import { RequestLogRetention } from './request-log.retention';
import { RequestLogService } from './request-log.service';
import { RequestLogStore } from './request-log.store';
import { RequestLogWriter } from './request-log.writer';

/**
 * The request log: a Redis Stream of answered requests with hourly secondary indexes, written in
 * batches off the hot path (RequestLogWriter), queried at /api/v1/logs. Needs MetricsModule.
 */
@Module({
  controllers: [LogsController],
  providers: [
    LogClock,
    RequestLogStore,
    RequestLogWriter,
    RequestLogRetention,
    RequestLogQuery,
    RequestLogService,
    LogFollowHub,
    HostOwnership,
    AdminRequestLogHook,
  ],
  exports: [RequestLogWriter, HostOwnership, RequestLogRetention],
})
export class RequestLogModule {}
