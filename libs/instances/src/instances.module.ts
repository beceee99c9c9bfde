import { Module } from '@nestjs/common';
import { TokensModule } from '@app/tokens';
import { InstanceOwnership } from './instance-ownership';
import { InstancesController } from './instances.controller';
import { InstancesRepository } from './instances.repository';
import { InstancesService } from './instances.service';

@Module({
  imports: [TokensModule],
  controllers: [InstancesController],
  providers: [InstancesRepository, InstancesService, InstanceOwnership],
  exports: [InstancesService, InstanceOwnership],
})
export class InstancesModule {}
