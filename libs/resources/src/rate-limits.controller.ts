import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AppConfig } from '@app/config';
import { ProxyTargetsService } from '@app/proxy-targets';
import { Auth, Authenticated, AuthContext } from '@app/tokens';
import { RateLimitsOverviewDto } from './dto/rate-limits.dto';
import { rateLimitsOverview } from './rate-limits-view';
import { ResourcesRepository } from './resources.repository';

/**
 * `GET /api/v1/rate-limits`: every rate limit in force that the caller may see. Here, beside the
 * registry, because it reads the targets and the policies of registered resources; it has no state.
 */
@ApiTags('rate limits')
@Controller('api/v1/rate-limits')
export class RateLimitsController {
  constructor(
    private readonly config: AppConfig,
    private readonly targets: ProxyTargetsService,
    private readonly resources: ResourcesRepository,
  ) {}

  /**
   * The global limits (RATE_LIMITS, every proxied request), then those of your proxy targets and of
   * the MCP policy rules of your resources (the admin sees all), each with the Redis key it counts
   * in; `unreadable` lists stored limits that fail validation (their targets answer 503).
   */
  @Get()
  @Authenticated()
  async list(@Auth() auth: AuthContext): Promise<RateLimitsOverviewDto> {
    const [targets, resources] = await Promise.all([this.targets.all(), this.resources.list()]);
    return rateLimitsOverview(
      this.config.redisKeyPrefix,
      this.config.rateLimits,
      targets.filter((t) => auth.canAccess(t.owner)),
      resources.filter((r) => auth.canAccess(r.owner)),
    );
  }
}
