import { Body, Controller, Delete, Get, Param, ParseIntPipe, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Auth, Authenticated, AuthContext } from '@app/tokens';
import {
  AvailablePortsDto,
  AvailablePortsQueryDto,
  PortAllocationDto,
  PortCheckDto,
  PortQueryDto,
  ReservePortDto,
} from './dto/port.dto';
import { rangeFor } from './port-allocation.record';
import { PortsService } from './ports.service';
import { toPortDto } from './port-dto.mapper';

@ApiTags('ports')
@Controller('api/v1/ports')
export class PortsController {
  constructor(private readonly ports: PortsService) {}

  /** Allocated ports: the caller's own; the admin sees all. */
  @Get()
  @Authenticated()
  async list(@Auth() auth: AuthContext): Promise<PortAllocationDto[]> {
    return (await this.ports.list(auth)).map(toPortDto);
  }

  /** Ports free right now in the range of the bind address (not reserved for you: allocate to keep one). */
  @Get('available')
  @Authenticated()
  async available(@Query() query: AvailablePortsQueryDto): Promise<AvailablePortsDto> {
    const bind = query.bind_address ?? '127.0.0.1';
    const rangeName = rangeFor(bind);
    const range = this.ports.range(rangeName);
    return {
      bind_address: bind,
      range: rangeName,
      first: range.first,
      last: range.last,
      ports: await this.ports.available(bind, query.count ?? 10),
    };
  }

  /** Whether a port could be allocated for the bind address, and if not, why. */
  @Get('check/:port')
  @Authenticated()
  check(@Param('port', ParseIntPipe) port: number, @Query() query: PortQueryDto): Promise<PortCheckDto> {
    return this.ports.check(port, query.bind_address ?? '127.0.0.1');
  }

  /** Allocates a port for the caller (atomic across replicas). */
  @Post()
  @Authenticated()
  async reserve(@Auth() auth: AuthContext, @Body() body: ReservePortDto): Promise<PortAllocationDto> {
    return toPortDto(await this.ports.reserve(auth, body));
  }

  /** Releases a free-standing allocation (service ports are released with their service). */
  @Delete(':port')
  @Authenticated()
  async release(@Auth() auth: AuthContext, @Param('port', ParseIntPipe) port: number): Promise<PortAllocationDto> {
    return toPortDto(await this.ports.releaseReservation(auth, port));
  }
}
