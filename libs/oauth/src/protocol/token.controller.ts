import { Body, Controller, Headers, HttpCode, Post, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { OAuthMetrics } from '@app/metrics';
import { Public } from '@app/tokens';
import { GrantExchange, TokenResponse } from '../tokens/grant-exchange';
import { form } from './form';
import { CORS_HEADERS, NO_STORE } from './http-headers';
import { OAuthError } from './oauth-error';
import { OAuthExceptionFilter } from './oauth-exception.filter';

/** /token: the authorization_code and refresh_token grants. */
@ApiExcludeController()
@Public()
@UseFilters(OAuthExceptionFilter)
@Controller()
export class OAuthTokenController {
  constructor(
    private readonly grants: GrantExchange,
    private readonly metrics: OAuthMetrics,
  ) {}

  @Post('token')
  @HttpCode(200)
  async token(
    @Body() body: unknown,
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TokenResponse> {
    void reply.headers({ ...NO_STORE, ...CORS_HEADERS });
    const grantType = typeof form(body).grant_type === 'string' ? (form(body).grant_type as string) : 'unknown';
    try {
      const issued = await this.grants.exchange(form(body), authorization);
      this.metrics.tokenIssued(grantType);
      return issued;
    } catch (error) {
      this.metrics.tokenFailed(error instanceof OAuthError ? error.error : 'server_error');
      throw error;
    }
  }
}
