import { Module } from '@nestjs/common';
import { TokensModule } from '@app/tokens';
import { PortOwnership } from './port-ownership';
import { PortsController } from './ports.controller';
import { PortsRepository } from './ports.repository';
import { PortsService } from './ports.service';

@Module({
  imports: [TokensModule],
  controllers: [PortsController],
  providers: [PortsRepository, PortsService, PortOwnership],
  exports: [PortsService, PortOwnership],
})
export class PortsModule {}
