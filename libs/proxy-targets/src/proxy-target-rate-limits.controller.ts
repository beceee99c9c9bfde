import { Body, Controller, Delete, Get, Param, Put } from '@nestjs/common';
import { ApiBody, ApiTags } from '@nestjs/swagger';
import type { RateLimitRecord } from '@app/config';
import { Auth, Authenticated, AuthContext } from '@app/tokens';
import { ProxyTargetsService } from './proxy-targets.service';

/** A proxy target's rate limits (docs/rate-limits.md), with the target's ownership. */
@ApiTags('proxy targets')
@Controller('api/v1/proxy/targets/:hostname/rate-limits')
export class ProxyTargetRateLimitsController {
  constructor(private readonly targets: ProxyTargetsService) {}

  /** The target's limits; `[]` when it has none. */
  @Get()
  @Authenticated()
  show(@Auth() auth: AuthContext, @Param('hostname') hostname: string): Promise<RateLimitRecord[]> {
    return this.targets.rateLimits(auth, hostname);
  }

  /** Replaces the target's limits with the array given (400 names every problem; `[]` removes them). */
  @Put()
  @Authenticated()
  @ApiBody({
    description: 'The limits, e.g. [{"per":"user","limit":60,"window":"1m"}] (per: user, client, address; at most 5)',
    schema: { type: 'array', items: { type: 'object' } },
  })
  set(
    @Auth() auth: AuthContext,
    @Param('hostname') hostname: string,
    @Body() body: unknown,
  ): Promise<RateLimitRecord[]> {
    return this.targets.setRateLimits(auth, hostname, body);
  }

  /** Removes the target's limits. */
  @Delete()
  @Authenticated()
  clear(@Auth() auth: AuthContext, @Param('hostname') hostname: string): Promise<RateLimitRecord[]> {
    return this.targets.setRateLimits(auth, hostname, []);
  }
}
