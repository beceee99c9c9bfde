import { Controller, Get, Headers, Res, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AppConfig } from '@app/config';
import { bearerCredentials } from '@app/http';
import { Public, secretsEqual } from '@app/tokens';
import { MetricsRegistry } from './metrics-registry';

class MetricsChallenge extends UnauthorizedException {
  readonly headers: Record<string, string>;
  constructor(message: string, error?: 'invalid_request') {
    super(message);
    this.headers = {
      'WWW-Authenticate': error ? `Bearer realm="metrics", error="${error}"` : 'Bearer realm="metrics"',
    };
  }
}

@ApiTags('metrics')
@Controller()
export class MetricsController {
  constructor(
    private readonly metrics: MetricsRegistry,
    private readonly config: AppConfig,
  ) {}

  /**
   * Prometheus metrics of this replica, all its worker processes together (text format 0.0.4). Public on the admin listener, like
   * /health, unless METRICS_TOKEN is set: then it needs `Authorization: Bearer <METRICS_TOKEN>`.
   */
  @Get('metrics')
  @Public()
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format', type: String })
  async scrape(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const required = this.config.metricsToken;
    if (required) {
      const given = bearerCredentials(authorization);
      if (given.kind === 'malformed')
        throw new MetricsChallenge(
          'malformed Authorization header: send "Authorization: Bearer <METRICS_TOKEN>"',
          'invalid_request',
        );
      if (given.kind === 'absent' || !secretsEqual(given.token, required))
        throw new MetricsChallenge('GET /metrics needs "Authorization: Bearer <METRICS_TOKEN>"');
    }
    void reply.header('content-type', this.metrics.contentType).header('cache-control', 'no-store');
    try {
      return await this.metrics.render();
    } catch (error) {
      // Only in a cluster worker: the primary did not answer.
      throw new ServiceUnavailableException(`metrics unavailable: ${(error as Error).message}`);
    }
  }
}
