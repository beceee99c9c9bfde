import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PortAllocationDto, toPortDto } from '@app/ports';
import { Auth, Authenticated, AuthContext } from '@app/tokens';
import {
  AddServicePortDto,
  CleanupResultDto,
  CreateExternalServiceDto,
  CreateServiceDto,
  CreateServiceQueryDto,
  DeleteServiceQueryDto,
  ExternalServiceDto,
  LogsQueryDto,
  ReconciliationReportDto,
  ServiceDeletedDto,
  ServiceDto,
  ServiceLogsDto,
  ServicePortsDto,
  ServiceStatsDto,
} from './dto/service.dto';
import { ExternalServiceCatalog } from './external-service.catalog';
import { ServiceCatalog } from './service-catalog';
import { DEFAULT_CREATE_WAIT_SECONDS } from './service-lifecycle';
import { ServicePorts } from './service-ports';
import { ServiceProxies } from './service-proxies';
import { ServiceReconciler } from './service-reconciler';
import { ServiceTelemetryService } from './service-telemetry.service';

@ApiTags('services')
@Controller('api/v1/services')
export class ServicesController {
  constructor(
    private readonly services: ServiceCatalog,
    private readonly servicePorts: ServicePorts,
    private readonly proxies: ServiceProxies,
    private readonly telemetry: ServiceTelemetryService,
    private readonly external: ExternalServiceCatalog,
    private readonly reconciler: ServiceReconciler,
  ) {}

  /**
   * Creates a service from an allowed image: validated and stored at once, then made, started and
   * (auto_proxy) proxied by the workflow bus. Waits for that (`wait`, default 30 s): 201 with the
   * service, or the failure's status and reason; 202 with the `requested` service when it is still
   * in progress (follow it with GET /api/v1/services/{name}).
   */
  @Post()
  @Authenticated()
  @ApiResponse({
    status: 201,
    type: ServiceDto,
    description: 'created: lifecycle started (or proxied with auto_proxy)',
  })
  @ApiResponse({
    status: 202,
    type: ServiceDto,
    description: 'accepted: still in progress after `wait` seconds (lifecycle requested or started)',
  })
  async create(
    @Auth() auth: AuthContext,
    @Body() body: CreateServiceDto,
    @Query() query: CreateServiceQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ServiceDto> {
    const { service, settled } = await this.services.createAndWait(
      auth,
      body,
      query.wait ?? DEFAULT_CREATE_WAIT_SECONDS,
    );
    if (!settled) void reply.status(202);
    return service;
  }

  /** Docker services: the caller's own; the admin sees all. */
  @Get()
  @Authenticated()
  list(@Auth() auth: AuthContext): Promise<ServiceDto[]> {
    return this.services.list(auth);
  }

  /** Registers an external service (a URL, not a container) in the instances registry. */
  @Post('external')
  @Authenticated()
  createExternal(@Auth() auth: AuthContext, @Body() body: CreateExternalServiceDto): Promise<ExternalServiceDto> {
    return this.external.create(auth, body);
  }

  @Get('external')
  @Authenticated()
  listExternal(@Auth() auth: AuthContext): Promise<ExternalServiceDto[]> {
    return this.external.list(auth);
  }

  @Delete('external/:name')
  @Authenticated()
  deleteExternal(@Auth() auth: AuthContext, @Param('name') name: string): Promise<ExternalServiceDto> {
    return this.external.delete(auth, name);
  }

  /** Fresh scan: containers labelled as ours but unknown to Redis, records whose container vanished, orphan ports. */
  @Get('reconciliation')
  @Authenticated({ admin: true })
  reconciliation(): Promise<ReconciliationReportDto> {
    return this.reconciler.report();
  }

  /** Removes what the reconciliation finds (the original's `cleanup`). */
  @Post('cleanup')
  @HttpCode(200)
  @Authenticated({ admin: true })
  cleanup(): Promise<CleanupResultDto> {
    return this.reconciler.cleanup();
  }

  @Get(':name')
  @Authenticated()
  show(@Auth() auth: AuthContext, @Param('name') name: string): Promise<ServiceDto> {
    return this.services.show(auth, name);
  }

  /** Deletes the container, its port allocations, and (by default) its proxy target. */
  @Delete(':name')
  @Authenticated()
  delete(
    @Auth() auth: AuthContext,
    @Param('name') name: string,
    @Query() query: DeleteServiceQueryDto,
  ): Promise<ServiceDeletedDto> {
    return this.services.delete(auth, name, {
      deleteProxy: query.delete_proxy !== 'false',
      deleteCertificate: query.delete_certificate === 'true',
    });
  }

  @Post(':name/start')
  @HttpCode(200)
  @Authenticated()
  start(@Auth() auth: AuthContext, @Param('name') name: string): Promise<ServiceDto> {
    return this.services.start(auth, name);
  }

  @Post(':name/stop')
  @HttpCode(200)
  @Authenticated()
  stop(@Auth() auth: AuthContext, @Param('name') name: string): Promise<ServiceDto> {
    return this.services.stop(auth, name);
  }

  @Post(':name/restart')
  @HttpCode(200)
  @Authenticated()
  restart(@Auth() auth: AuthContext, @Param('name') name: string): Promise<ServiceDto> {
    return this.services.restart(auth, name);
  }

  /** Publishes `<name>.<BASE_DOMAIN>` through the proxy. */
  @Post(':name/proxy')
  @HttpCode(200)
  @Authenticated()
  proxy(@Auth() auth: AuthContext, @Param('name') name: string): Promise<ServiceDto> {
    return this.proxies.publish(auth, name);
  }

  /** The last N log lines as JSON; with follow=true a text/plain stream that stays open. */
  @Get(':name/logs')
  @Authenticated()
  @ApiProduces('application/json', 'text/plain')
  async logs(
    @Auth() auth: AuthContext,
    @Param('name') name: string,
    @Query() query: LogsQueryDto,
    @Res() reply: FastifyReply,
  ): Promise<ServiceLogsDto | void> {
    const tail = query.tail ?? 100;
    const timestamps = query.timestamps === 'true';
    if (query.follow === 'true') {
      const stream = await this.telemetry.followLogs(auth, name, tail, timestamps);
      reply.raw.once('close', () => stream.destroy());
      await reply.header('content-type', 'text/plain; charset=utf-8').header('cache-control', 'no-store').send(stream);
      return;
    }
    await reply.send(await this.telemetry.logs(auth, name, tail, timestamps));
  }

  /** CPU, memory, network, block I/O and pids of the container, sampled now. */
  @Get(':name/stats')
  @Authenticated()
  stats(@Auth() auth: AuthContext, @Param('name') name: string): Promise<ServiceStatsDto> {
    return this.telemetry.stats(auth, name);
  }

  @Get(':name/ports')
  @Authenticated()
  async ports(@Auth() auth: AuthContext, @Param('name') name: string): Promise<ServicePortsDto> {
    return { service_name: name, ports: (await this.servicePorts.list(auth, name)).map(toPortDto) };
  }

  /** Allocates and publishes one more port (the container is recreated: Docker cannot add a binding). */
  @Post(':name/ports')
  @Authenticated()
  async addPort(
    @Auth() auth: AuthContext,
    @Param('name') name: string,
    @Body() body: AddServicePortDto,
  ): Promise<PortAllocationDto> {
    return toPortDto(await this.servicePorts.add(auth, name, body));
  }

  @Delete(':name/ports/:port_name')
  @Authenticated()
  async removePort(
    @Auth() auth: AuthContext,
    @Param('name') name: string,
    @Param('port_name') portName: string,
  ): Promise<PortAllocationDto> {
    return toPortDto(await this.servicePorts.remove(auth, name, portName));
  }
}
