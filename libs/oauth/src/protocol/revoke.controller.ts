import { Body, Controller, Headers, HttpCode, Post, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '@app/tokens';
import { TokenRevocation } from '../tokens/token-revocation';
import { form } from './form';
import { CORS_HEADERS, NO_STORE } from './http-headers';
import { OAuthExceptionFilter } from './oauth-exception.filter';

/** /revoke (RFC 7009). */
@ApiExcludeController()
@Public()
@UseFilters(OAuthExceptionFilter)
@Controller()
export class OAuthRevocationController {
  constructor(private readonly revocation: TokenRevocation) {}

  @Post('revoke')
  @HttpCode(200)
  async revoke(
    @Body() body: unknown,
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, never>> {
    void reply.headers({ ...NO_STORE, ...CORS_HEADERS });
    await this.revocation.revoke(form(body), authorization);
    return {};
  }
}
