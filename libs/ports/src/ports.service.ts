import { Injectable } from '@nestjs/common';
import { AppConfig, PortRange } from '@app/config';
import { Conflict, DomainError, Forbidden, Invalid, NotFound } from '@app/http';
import { AuthContext } from '@app/tokens';
import { isHostPortFree } from './host-port-probe';
import { BindAddress, PortAllocationRecord, PortProtocol, PortRangeName, rangeFor } from './port-allocation.record';
import { PortsRepository } from './ports.repository';

export interface PortRequest {
  owner: string;
  bindAddress: BindAddress;
  protocol?: PortProtocol;
  /** A specific host port; otherwise the lowest free one of the bind address's range. */
  port?: number;
  service?: string;
  name?: string;
  containerPort?: number;
  description?: string;
}

export interface PortCheck {
  port: number;
  bind_address: BindAddress;
  available: boolean;
  range: PortRangeName | null;
  reserved: boolean;
  allocated: boolean;
  host_free: boolean;
  reason: string | null;
}

/** Host ports tried per allocation when the host reports them busy (used by something outside Redis's view). */
const MAX_HOST_BUSY_SKIPS = 50;

/**
 * Port allocation rules: ranges per bind address (127.0.0.1 → internal, 0.0.0.0 → exposed and
 * admin-only), reserved ports excluded, allocation atomic in Redis, and a host probe so a port some
 * other program already listens on is skipped.
 */
@Injectable()
export class PortsService {
  constructor(
    private readonly ports: PortsRepository,
    private readonly config: AppConfig,
  ) {}

  /** Who may bind where: 0.0.0.0 exposes a port beyond this host, so only the admin may. */
  assertBindAllowed(auth: AuthContext, bind: BindAddress): void {
    if (bind === '0.0.0.0' && !auth.isAdmin)
      throw Forbidden('bind address 0.0.0.0 needs the admin token; use 127.0.0.1 (the proxy reaches it)');
  }

  range(name: PortRangeName): PortRange {
    return this.config.portRanges[name];
  }

  async allocate(request: PortRequest): Promise<PortAllocationRecord> {
    const rangeName = rangeFor(request.bindAddress);
    const range = this.range(rangeName);
    const reserved = this.config.reservedPorts;
    const allocation: Omit<PortAllocationRecord, 'port'> = {
      bind_address: request.bindAddress,
      protocol: request.protocol ?? 'tcp',
      owner: request.owner,
      service: request.service,
      name: request.name,
      container_port: request.containerPort,
      description: request.description,
      allocated_at: new Date().toISOString(),
    };
    if (request.port !== undefined) {
      const port = request.port;
      if (port < range.first || port > range.last) {
        throw Invalid(
          `port ${port} is outside the ${rangeName} range ${range.first}-${range.last} for bind address ${request.bindAddress}`,
        );
      }
      if (reserved.includes(port)) throw Invalid(`port ${port} is reserved`);
      if (!(await this.ports.claim(port, allocation))) throw Conflict(`port ${port} is already allocated`);
      if (allocation.protocol === 'tcp' && !(await isHostPortFree(port, request.bindAddress))) {
        await this.ports.release([port]);
        throw Conflict(`port ${port} is in use on the host by a program this server does not manage`);
      }
      return { port, ...allocation };
    }
    const skip = [...reserved];
    for (let attempt = 0; attempt <= MAX_HOST_BUSY_SKIPS; attempt++) {
      const port = await this.ports.claimFirstFree(range.first, range.last, skip, allocation);
      if (port === 0)
        throw new DomainError('conflict', `no free port left in the ${rangeName} range ${range.first}-${range.last}`);
      if (allocation.protocol === 'udp' || (await isHostPortFree(port, request.bindAddress)))
        return { port, ...allocation };
      await this.ports.release([port]);
      skip.push(port);
    }
    throw Conflict(`more than ${MAX_HOST_BUSY_SKIPS} ports of the ${rangeName} range are busy on the host`);
  }

  async release(ports: number[]): Promise<number> {
    return this.ports.release(ports);
  }

  async forService(service: string): Promise<PortAllocationRecord[]> {
    return (await this.ports.list()).filter((p) => p.service === service);
  }

  async listAll(): Promise<PortAllocationRecord[]> {
    return this.ports.list();
  }

  async list(auth: AuthContext): Promise<PortAllocationRecord[]> {
    return (await this.ports.list()).filter((p) => auth.canAccess(p.owner));
  }

  /** A free-standing reservation by the caller (e.g. to hand to a service later). */
  async reserve(
    auth: AuthContext,
    input: { bind_address?: BindAddress; port?: number; protocol?: PortProtocol; description?: string },
  ): Promise<PortAllocationRecord> {
    const bindAddress = input.bind_address ?? '127.0.0.1';
    this.assertBindAllowed(auth, bindAddress);
    return this.allocate({
      owner: auth.tokenName,
      bindAddress,
      port: input.port,
      protocol: input.protocol,
      description: input.description,
    });
  }

  async releaseReservation(auth: AuthContext, port: number): Promise<PortAllocationRecord> {
    const allocation = await this.ports.find(port);
    if (!allocation) throw NotFound(`port allocation ${port}`);
    auth.assertOwner(allocation.owner, `port ${port}`);
    if (allocation.service)
      throw Conflict(
        `port ${port} is published by service "${allocation.service}"; remove it with DELETE /api/v1/services/${allocation.service}/ports/${allocation.name ?? ''}`,
      );
    await this.ports.release([port]);
    return allocation;
  }

  async check(port: number, bindAddress: BindAddress): Promise<PortCheck> {
    const rangeName = rangeFor(bindAddress);
    const range = this.range(rangeName);
    const inRange = port >= range.first && port <= range.last;
    const reserved = this.config.reservedPorts.includes(port);
    const allocated = (await this.ports.find(port)) !== null;
    const hostFree = await isHostPortFree(port, bindAddress);
    // The first obstacle found is the reason; none makes the port available.
    let reason: string | null = null;
    if (!inRange) reason = `outside the ${rangeName} range ${range.first}-${range.last} for ${bindAddress}`;
    else if (reserved) reason = 'reserved';
    else if (allocated) reason = 'already allocated';
    else if (!hostFree) reason = 'in use on the host';
    return {
      port,
      bind_address: bindAddress,
      available: reason === null,
      range: inRange ? rangeName : null,
      reserved,
      allocated,
      host_free: hostFree,
      reason,
    };
  }

  /** Up to `count` ports that are free now (not allocated, not reserved, bindable); not reserved for the caller. */
  async available(bindAddress: BindAddress, count: number): Promise<number[]> {
    const range = this.range(rangeFor(bindAddress));
    const taken = new Set([...(await this.ports.list()).map((p) => p.port), ...this.config.reservedPorts]);
    const free: number[] = [];
    for (let port = range.first; port <= range.last && free.length < count; port++) {
      if (!taken.has(port) && (await isHostPortFree(port, bindAddress))) free.push(port);
    }
    return free;
  }
}
