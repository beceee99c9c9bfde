import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ProxyTargetRouteSettingsDto } from '@app/proxy-targets';
import { Auth, Authenticated, AuthContext } from '@app/tokens';
import { CreateRouteDto, RouteDeletedDto, RouteDto, UpdateRouteDto } from './dto/route.dto';
import { RoutesService } from './routes.service';

@ApiTags('routes')
@Controller('api/v1/routes')
export class RoutesController {
  constructor(private readonly routes: RoutesService) {}

  /** Creates a path route. Regexes run on RE2 (linear time); syntax RE2 lacks (backreferences, lookaround) is refused. Global scope needs the admin token. */
  @Post()
  @Authenticated()
  create(@Auth() auth: AuthContext, @Body() body: CreateRouteDto): Promise<RouteDto> {
    return this.routes.create(auth, body);
  }

  /** Routes in the order they are tried: priority descending, then `created_seq` ascending (disabled ones last). */
  @Get()
  @Authenticated()
  list(@Auth() auth: AuthContext): Promise<RouteDto[]> {
    return this.routes.list(auth);
  }

  @Get(':routeId')
  @Authenticated()
  show(@Auth() auth: AuthContext, @Param('routeId') id: string): Promise<RouteDto> {
    return this.routes.show(auth, id);
  }

  @Put(':routeId')
  @Authenticated()
  update(@Auth() auth: AuthContext, @Param('routeId') id: string, @Body() body: UpdateRouteDto): Promise<RouteDto> {
    return this.routes.update(auth, id, body);
  }

  @Delete(':routeId')
  @Authenticated()
  delete(@Auth() auth: AuthContext, @Param('routeId') id: string): Promise<RouteDeletedDto> {
    return this.routes.delete(auth, id);
  }
}

/** Per proxy target route filter (`route_mode` all | selective | none). */
@ApiTags('proxy targets')
@Controller('api/v1/proxy/targets/:hostname/routes')
export class ProxyTargetRoutesController {
  constructor(private readonly routes: RoutesService) {}

  @Get()
  @Authenticated()
  show(@Auth() auth: AuthContext, @Param('hostname') hostname: string): Promise<ProxyTargetRouteSettingsDto> {
    return this.routes.routeSettings(auth, hostname);
  }

  @Put()
  @Authenticated()
  update(
    @Auth() auth: AuthContext,
    @Param('hostname') hostname: string,
    @Body() body: ProxyTargetRouteSettingsDto,
  ): Promise<ProxyTargetRouteSettingsDto> {
    return this.routes.setRouteSettings(auth, hostname, body);
  }

  /** Enables one route on this target (adds it to enabled_routes, removes it from disabled_routes). */
  @Post(':routeId/enable')
  @HttpCode(200)
  @Authenticated()
  enable(
    @Auth() auth: AuthContext,
    @Param('hostname') hostname: string,
    @Param('routeId') id: string,
  ): Promise<ProxyTargetRouteSettingsDto> {
    return this.routes.toggleRoute(auth, hostname, id, true);
  }

  /** Disables one route on this target. */
  @Post(':routeId/disable')
  @HttpCode(200)
  @Authenticated()
  disable(
    @Auth() auth: AuthContext,
    @Param('hostname') hostname: string,
    @Param('routeId') id: string,
  ): Promise<ProxyTargetRouteSettingsDto> {
    return this.routes.toggleRoute(auth, hostname, id, false);
  }
}
