import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth, Authenticated, AuthContext } from '@app/tokens';
import { ResourceDto, SetTargetResourceDto, TargetResourcesDeletedDto } from './dto/resource.dto';
import { ResourcesService } from './resources.service';

/** A proxy target's view onto its registry entries (`/api/v1/proxy/targets/{hostname}/resource`). */
@ApiTags('proxy targets')
@Controller('api/v1/proxy/targets/:hostname')
export class TargetResourcesController {
  constructor(private readonly resources: ResourcesService) {}

  /** Publishes resource metadata for an endpoint of the target (a registry entry, created or replaced). */
  @Post('resource')
  @HttpCode(200)
  @Authenticated()
  setResource(
    @Auth() auth: AuthContext,
    @Param('hostname') hostname: string,
    @Body() body: SetTargetResourceDto,
  ): Promise<ResourceDto> {
    return this.resources.setTargetResource(auth, hostname, body);
  }

  /** The target's registry entries. */
  @Get('resource')
  @Authenticated()
  showResource(@Auth() auth: AuthContext, @Param('hostname') hostname: string): Promise<ResourceDto[]> {
    return this.resources.targetResources(auth, hostname);
  }

  @Delete('resource')
  @Authenticated()
  deleteResource(@Auth() auth: AuthContext, @Param('hostname') hostname: string): Promise<TargetResourcesDeletedDto> {
    return this.resources.deleteTargetResources(auth, hostname);
  }
}
