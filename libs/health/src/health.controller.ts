import { Controller, Get, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import cluster from 'node:cluster';
import type { FastifyReply } from 'fastify';
import { SystemCertificates } from '@app/certificates';
import { AppConfig } from '@app/config';
import { RedisHealthIndicator } from '@app/redis';
import { Public } from '@app/tokens';
import { HealthDto, SystemCertificateHealthDto } from './health.dto';

@ApiTags('health')
@Controller()
export class HealthController {
  private readonly startedAt = Date.now();

  constructor(
    private readonly redis: RedisHealthIndicator,
    private readonly config: AppConfig,
    private readonly systemCertificates: SystemCertificates,
  ) {}

  /**
   * 200 when the server and Redis answer; 503 `degraded` while Redis is unreachable. `degraded`
   * with 200 (and `reasons`) while a hostname of the server itself (AUTH_HOSTNAME, ADMIN_HOSTNAME)
   * has no valid certificate although AUTO_CERTIFICATES orders one: the replica still serves, and a
   * load balancer that took it out of rotation would also cut off the CA's HTTP-01 validation.
   */
  @Get('health')
  @Public()
  async health(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthDto> {
    const redis = await this.redis.check();
    const certificates = redis.status === 'up' ? await this.certificateHealth() : [];
    const reasons = redis.status === 'up' ? [] : [`Redis is unreachable: ${redis.error ?? 'no answer'}`];
    for (const c of certificates)
      if (!c.valid)
        reasons.push(
          `${c.role} ${c.hostname} has no valid certificate (${c.status}${c.error ? `: ${c.error}` : ''}); clients get the self-signed fallback`,
        );
    const status = reasons.length === 0 ? 'ok' : 'degraded';
    void reply.status(redis.status === 'up' ? 200 : 503).header('cache-control', 'no-store');
    return {
      status,
      ...(reasons.length > 0 ? { reasons } : {}),
      redis,
      ...(certificates.length > 0 ? { system_certificates: certificates } : {}),
      version: this.config.version,
      uptime_s: Math.floor((Date.now() - this.startedAt) / 1000),
      worker: { id: cluster.worker?.id ?? 0, pid: process.pid },
    };
  }

  private async certificateHealth(): Promise<SystemCertificateHealthDto[]> {
    try {
      return await this.systemCertificates.states();
    } catch {
      return []; // Redis failed between the ping and the read: the next probe reports it
    }
  }
}
