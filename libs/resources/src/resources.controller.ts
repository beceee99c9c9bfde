import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth, Authenticated, AuthContext } from '@app/tokens';
import {
  CreateResourceDto,
  DiscoveryDto,
  ResourceDeletedDto,
  ResourceDto,
  ResourceValidationDto,
  UpdateResourceDto,
} from './dto/resource.dto';
import { ResourcesService } from './resources.service';

@ApiTags('resources')
@Controller('api/v1/resources')
export class ResourcesController {
  constructor(private readonly resources: ResourcesService) {}

  /** Registers a protected resource (an MCP server behind a proxy target); its metadata is served at once. */
  @Post()
  @Authenticated()
  create(@Auth() auth: AuthContext, @Body() body: CreateResourceDto): Promise<ResourceDto> {
    return this.resources.create(auth, body);
  }

  /** The caller's resources (the admin sees all). */
  @Get()
  @Authenticated()
  list(@Auth() auth: AuthContext): Promise<ResourceDto[]> {
    return this.resources.list(auth);
  }

  /** Registers protected targets without an entry from their backend's own resource metadata. */
  @Post('discover')
  @HttpCode(200)
  @Authenticated()
  discover(@Auth() auth: AuthContext): Promise<DiscoveryDto> {
    return this.resources.discover(auth);
  }

  @Get(':id')
  @Authenticated()
  show(@Auth() auth: AuthContext, @Param('id') id: string): Promise<ResourceDto> {
    return this.resources.show(auth, id);
  }

  @Put(':id')
  @Authenticated()
  update(@Auth() auth: AuthContext, @Param('id') id: string, @Body() body: UpdateResourceDto): Promise<ResourceDto> {
    return this.resources.update(auth, id, body);
  }

  @Delete(':id')
  @Authenticated()
  delete(@Auth() auth: AuthContext, @Param('id') id: string): Promise<ResourceDeletedDto> {
    return this.resources.delete(auth, id);
  }

  /** Checks the resource end to end and names the first problem: target down, auth off, metadata wrong, MCP initialize failing. */
  @Post(':id/validate')
  @HttpCode(200)
  @Authenticated()
  validate(@Auth() auth: AuthContext, @Param('id') id: string): Promise<ResourceValidationDto> {
    return this.resources.validate(auth, id);
  }
}
