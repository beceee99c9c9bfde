import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth, AuthContext, Authenticated } from '@app/tokens';
import { CertificatesService } from './certificates.service';
import {
  CertificateDeletedDto,
  CertificateDetailDto,
  CertificateDto,
  CertificateStatusDto,
  CertificateStatusQueryDto,
  CreateCertificateDto,
  CreateMultiDomainCertificateDto,
  RenewCertificateQueryDto,
  ShowCertificateQueryDto,
} from './dto/certificate.dto';

@ApiTags('certificates')
@Controller('api/v1/certificates')
export class CertificatesController {
  constructor(private readonly certificates: CertificatesService) {}

  /** Orders a single-domain certificate; the order runs in the background (follow it with /status?wait=). */
  @Post()
  @Authenticated()
  create(@Auth() auth: AuthContext, @Body() body: CreateCertificateDto): Promise<CertificateDto> {
    return this.certificates.createSingle(auth, body);
  }

  /** Orders one certificate for 1 to 100 hostnames. */
  @Post('multi-domain')
  @Authenticated()
  createMultiDomain(@Auth() auth: AuthContext, @Body() body: CreateMultiDomainCertificateDto): Promise<CertificateDto> {
    return this.certificates.createMultiDomain(auth, body);
  }

  /** The caller's certificates (all for the admin), without key material. */
  @Get()
  @Authenticated()
  list(@Auth() auth: AuthContext): Promise<CertificateDto[]> {
    return this.certificates.list(auth);
  }

  /** One certificate with its chain; the private key only for the admin with include_private_key=true. */
  @Get(':name')
  @Authenticated()
  show(
    @Auth() auth: AuthContext,
    @Param('name') name: string,
    @Query() query: ShowCertificateQueryDto,
  ): Promise<CertificateDetailDto> {
    return this.certificates.show(auth, name, query.include_private_key ?? false);
  }

  /** Status; `wait` (seconds, max 120) waits for a running order to finish. */
  @Get(':name/status')
  @Authenticated()
  status(
    @Auth() auth: AuthContext,
    @Param('name') name: string,
    @Query() query: CertificateStatusQueryDto,
  ): Promise<CertificateStatusDto> {
    return this.certificates.status(auth, name, query.wait ?? 0);
  }

  /** Orders a replacement now (refused when more than RENEWAL_THRESHOLD_DAYS are left unless force=true). */
  @Post(':name/renew')
  @HttpCode(202)
  @Authenticated()
  renew(
    @Auth() auth: AuthContext,
    @Param('name') name: string,
    @Query() query: RenewCertificateQueryDto,
  ): Promise<CertificateDto> {
    return this.certificates.renew(auth, name, query.force ?? false);
  }

  /** Re-issues a staging certificate from the production directory. */
  @Post(':name/convert-to-production')
  @HttpCode(202)
  @Authenticated()
  convertToProduction(@Auth() auth: AuthContext, @Param('name') name: string): Promise<CertificateDto> {
    return this.certificates.convertToProduction(auth, name);
  }

  @Delete(':name')
  @Authenticated()
  delete(@Auth() auth: AuthContext, @Param('name') name: string): Promise<CertificateDeletedDto> {
    return this.certificates.delete(auth, name);
  }
}
