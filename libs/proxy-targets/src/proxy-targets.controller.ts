import { Body, Controller, Delete, Get, Param, Post, Put, Query } from '@nestjs/common';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import { Auth, Authenticated, AuthContext } from '@app/tokens';
import {
  CreateProxyTargetDto,
  ProxyTargetCreatedDto,
  ProxyTargetDeletedDto,
  ProxyTargetDto,
  UpdateProxyTargetDto,
} from './dto/proxy-target.dto';
import { ProxyTargetsService } from './proxy-targets.service';

@ApiTags('proxy targets')
@Controller('api/v1/proxy/targets')
export class ProxyTargetsController {
  constructor(private readonly targets: ProxyTargetsService) {}

  /** Creates a proxy target owned by the calling token; every replica serves it within a second. */
  @Post()
  @Authenticated()
  create(@Auth() auth: AuthContext, @Body() body: CreateProxyTargetDto): Promise<ProxyTargetCreatedDto> {
    return this.targets.create(auth, body);
  }

  /** The caller's targets (the admin sees all). */
  @Get()
  @Authenticated()
  list(@Auth() auth: AuthContext): Promise<ProxyTargetDto[]> {
    return this.targets.list(auth);
  }

  @Get(':hostname')
  @Authenticated()
  show(@Auth() auth: AuthContext, @Param('hostname') hostname: string): Promise<ProxyTargetDto> {
    return this.targets.show(auth, hostname);
  }

  /** Changes any of the settings given; the others stay. */
  @Put(':hostname')
  @Authenticated()
  update(
    @Auth() auth: AuthContext,
    @Param('hostname') hostname: string,
    @Body() body: UpdateProxyTargetDto,
  ): Promise<ProxyTargetDto> {
    return this.targets.update(auth, hostname, body);
  }

  /** Deletes the target; it stops being served on every replica within a second. */
  @Delete(':hostname')
  @Authenticated()
  @ApiQuery({
    name: 'delete_certificate',
    required: false,
    description: 'Also delete its certificate proxy-<hostname> (when owned by the same token)',
  })
  delete(
    @Auth() auth: AuthContext,
    @Param('hostname') hostname: string,
    @Query('delete_certificate') deleteCertificate?: string,
  ): Promise<ProxyTargetDeletedDto> {
    return this.targets.delete(auth, hostname, deleteCertificate === 'true' || deleteCertificate === '1');
  }
}
