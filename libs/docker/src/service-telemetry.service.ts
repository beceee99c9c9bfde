import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { Conflict, NotFound } from '@app/http';
import { AuthContext } from '@app/tokens';
import { ServiceLogsDto, ServiceStatsDto } from './dto/service.dto';
import { ServiceContainers } from './service-containers';
import { ServiceRecord } from './service.record';
import { ServicesRepository } from './services.repository';

/** Logs and resource usage of a service's container. */
@Injectable()
export class ServiceTelemetryService {
  constructor(
    private readonly services: ServicesRepository,
    private readonly containers: ServiceContainers,
  ) {}

  async logs(auth: AuthContext, name: string, tail: number, timestamps: boolean): Promise<ServiceLogsDto> {
    const record = await this.require(auth, name);
    return { service_name: name, lines: await this.containers.logs(record.container_id!, name, tail, timestamps) };
  }

  async followLogs(auth: AuthContext, name: string, tail: number, timestamps: boolean): Promise<Readable> {
    const record = await this.require(auth, name);
    return this.containers.followLogs(record.container_id!, name, tail, timestamps);
  }

  async stats(auth: AuthContext, name: string): Promise<ServiceStatsDto> {
    const record = await this.require(auth, name);
    return { service_name: name, ...(await this.containers.stats(record.container_id!, name)) };
  }

  private async require(auth: AuthContext, name: string): Promise<ServiceRecord> {
    const record = await this.services.find(name);
    if (!record) throw NotFound(`service "${name}"`);
    auth.assertOwner(record.owner, `service "${name}"`);
    if (!record.container_id)
      throw Conflict(`service "${name}" has no container (lifecycle ${record.lifecycle.state})`);
    return record;
  }
}
