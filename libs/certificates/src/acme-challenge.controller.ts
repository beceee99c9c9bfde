import { Controller, Get, Header, NotFoundException, Param } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '@app/tokens';
import { CertificatesRepository } from './certificates.repository';

const TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

/**
 * HTTP-01 challenge responses (RFC 8555 §8.3). Public by necessity: the CA fetches them without
 * credentials. The key authorization comes from Redis, so whichever replica the CA reaches answers.
 */
@ApiTags('acme')
@Controller('.well-known/acme-challenge')
export class AcmeChallengeController {
  constructor(private readonly repository: CertificatesRepository) {}

  @Get(':token')
  @Public()
  @Header('content-type', 'text/plain; charset=utf-8')
  @Header('cache-control', 'no-store')
  async answer(@Param('token') token: string): Promise<string> {
    const keyAuthorization = TOKEN.test(token) ? await this.repository.findChallenge(token) : null;
    if (keyAuthorization === null) throw new NotFoundException('no ACME challenge with this token');
    return keyAuthorization;
  }
}
