import { Body, Controller, Delete, Get, Param, Post, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth, Authenticated, AuthContext } from '@app/tokens';
import { CreateInstanceDto, InstanceDeletedDto, InstanceDto, UpdateInstanceDto } from './dto/instance.dto';
import { InstancesService } from './instances.service';

@ApiTags('instances')
@Controller('api/v1/instances')
export class InstancesController {
  constructor(private readonly instances: InstancesService) {}

  /** Registers a named backend that routes can target (`target_type: instance`). */
  @Post()
  @Authenticated()
  create(@Auth() auth: AuthContext, @Body() body: CreateInstanceDto): Promise<InstanceDto> {
    return this.instances.create(auth, body);
  }

  /** The built-in `api` instance and the caller's instances (the admin sees all). */
  @Get()
  @Authenticated()
  list(@Auth() auth: AuthContext): Promise<InstanceDto[]> {
    return this.instances.list(auth);
  }

  @Get(':name')
  @Authenticated()
  show(@Auth() auth: AuthContext, @Param('name') name: string): Promise<InstanceDto> {
    return this.instances.show(auth, name);
  }

  /** Changes the URL or description; routes follow at once. */
  @Put(':name')
  @Authenticated()
  update(
    @Auth() auth: AuthContext,
    @Param('name') name: string,
    @Body() body: UpdateInstanceDto,
  ): Promise<InstanceDto> {
    return this.instances.update(auth, name, body);
  }

  @Delete(':name')
  @Authenticated()
  delete(@Auth() auth: AuthContext, @Param('name') name: string): Promise<InstanceDeletedDto> {
    return this.instances.delete(auth, name);
  }
}
