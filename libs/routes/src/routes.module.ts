import { Module } from '@nestjs/common';
import { InstancesModule } from '@app/instances';
import { ProxyTargetsModule } from '@app/proxy-targets';
import { TokensModule } from '@app/tokens';
import { ProxyTargetRoutesController, RoutesController } from './routes.controller';
import { RouteOwnership } from './route-ownership';
import { RoutesRepository } from './routes.repository';
import { RoutesService } from './routes.service';

@Module({
  imports: [TokensModule, ProxyTargetsModule, InstancesModule],
  controllers: [RoutesController, ProxyTargetRoutesController],
  providers: [RoutesRepository, RoutesService, RouteOwnership],
  exports: [RoutesService, RouteOwnership],
})
export class RoutesModule {}
