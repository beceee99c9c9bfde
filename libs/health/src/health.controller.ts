import { Controller, Get, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import cluster from 'node:cluster';
import type { FastifyReply } from 'fastify';
import { AppConfig } from '@app/config';
import { RedisHealthIndicator } from '@app/redis';
import { Public } from '@app/tokens';
import { HealthDto } from './health.dto';

@ApiTags('health')
@Controller()
export class HealthController {
  private readonly startedAt = Date.now();

  constructor(
    private readonly redis: RedisHealthIndicator,
    private readonly config: AppConfig,
  ) {}

  /** 200 when the server and Redis answer; 503 `degraded` while Redis is unreachable. */
  @Get('health')
  @Public()
  async health(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthDto> {
    const redis = await this.redis.check();
    const status = redis.status === 'up' ? 'ok' : 'degraded';
    void reply.status(status === 'ok' ? 200 : 503).header('cache-control', 'no-store');
    return {
      status,
      redis, version: this.config.version, uptime_s: Math.floor((Date.now() - this.startedAt) / 1000),
      worker: { id: cluster.worker?.id ?? 0, pid: process.pid },
    };
  }
}
