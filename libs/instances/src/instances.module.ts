import { Module } from '@nestjs/common';
import { TokensModule } from '@app/tokens';
import { InstancesController } from './instances.controller';
import { InstancesRepository } from './instances.repository';
import { InstancesService } from './instances.service';

@Module({
  imports: [TokensModule],
  controllers: [InstancesController],
  providers: [InstancesRepository, InstancesService],
  exports: [InstancesService],
})
export class InstancesModule {}
