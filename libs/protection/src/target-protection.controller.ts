import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth, Authenticated, AuthContext } from '@app/tokens';
import { ResourceDto, SetTargetResourceDto, TargetResourcesDeletedDto } from '@app/resources/dto/resource.dto';
import { TargetAuthDeletedDto, TargetAuthDto } from './dto/target-auth.dto';
import { ResourcesService } from '@app/resources/resources.service';
import { SetTargetAuthDto } from './dto/set-target-auth.dto';

@ApiTags('proxy targets')
@Controller('api/v1/proxy/targets/:hostname')
export class TargetProtectionController {
  constructor(private readonly resources: ResourcesService) {}

  /** Turns OAuth protection on (or changes it); every replica applies it within a second. */
  @Post('auth')
  @HttpCode(200)
  @Authenticated()
  setAuth(
    @Auth() auth: AuthContext,
    @Param('hostname') hostname: string,
    @Body() body: SetTargetAuthDto,
  ): Promise<TargetAuthDto> {
    return this.resources.setTargetAuth(auth, hostname, body);
  }

  @Get('auth')
  @Authenticated()
  showAuth(@Auth() auth: AuthContext, @Param('hostname') hostname: string): Promise<TargetAuthDto> {
    return this.resources.targetAuth(auth, hostname);
  }

  /** Turns protection off. */
  @Delete('auth')
  @Authenticated()
  deleteAuth(@Auth() auth: AuthContext, @Param('hostname') hostname: string): Promise<TargetAuthDeletedDto> {
    return this.resources.deleteTargetAuth(auth, hostname);
  }

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
