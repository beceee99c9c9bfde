export { AvailablePortsDto, PortAllocationDto, PortCheckDto } from './dto/port.dto';
export {
  BIND_ADDRESSES,
  PORT_PROTOCOLS,
  PortAllocationRecord,
  rangeFor,
  type BindAddress,
  type PortProtocol,
  type PortRangeName,
} from './port-allocation.record';
export { toPortDto } from './port-dto.mapper';
export { PortOwnership } from './port-ownership';
export { PortsModule } from './ports.module';
export { PortsService, type PortCheck, type PortRequest } from './ports.service';
