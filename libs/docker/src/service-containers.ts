import { Injectable } from '@nestjs/common';
import type { ContainerCreateOptions, ContainerInfo, ContainerStats } from 'dockerode';
import { PassThrough, Readable } from 'node:stream';
import { AppConfig } from '@app/config';
import { Conflict, DomainError } from '@app/http';
import { demuxDockerLog, LABELS, LogLine, parseMemoryLimit } from './container-rules';
import { DockerEngine, statusOf } from './docker-engine';
import { ServiceRecord } from './service.record';

export interface ContainerStatsSummary {
  read_at: string;
  cpu_percent: number;
  online_cpus: number;
  memory_usage_bytes: number;
  memory_limit_bytes: number;
  memory_percent: number;
  network_rx_bytes: number;
  network_tx_bytes: number;
  block_read_bytes: number;
  block_write_bytes: number;
  pids: number;
}

/** Builds the engine's create options from a service record: limits, hardening, labels, ports. */
export function containerOptions(record: ServiceRecord, deployment: string): ContainerCreateOptions {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const port of record.ports) {
    const key = `${port.container_port}/${port.protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: port.bind_address, HostPort: String(port.host_port) });
  }
  const memory = record.memory_limit ? (parseMemoryLimit(record.memory_limit) ?? undefined) : undefined;
  return {
    name: record.container_name,
    Image: record.image,
    Cmd: record.command,
    Env: Object.entries(record.environment).map(([k, v]) => `${k}=${v}`),
    User: record.user,
    ExposedPorts: exposed,
    Labels: {
      ...record.labels,
      [LABELS.managed]: 'true',
      [LABELS.owner]: record.owner,
      [LABELS.service]: record.name,
      [LABELS.deployment]: deployment,
      [LABELS.generation]: record.generation,
    },
    HostConfig: {
      PortBindings: bindings,
      Memory: memory,
      // No swap beyond the memory limit.
      MemorySwap: memory,
      NanoCpus: record.cpu_limit ? Math.round(record.cpu_limit * 1e9) : undefined,
      RestartPolicy: {
        Name: record.restart_policy === 'no' ? '' : record.restart_policy,
        MaximumRetryCount: record.restart_policy === 'on-failure' ? 5 : 0,
      },
      ReadonlyRootfs: record.read_only_root,
      // A read-only root still needs a writable /tmp for most programs.
      Tmpfs: record.read_only_root ? { '/tmp': 'rw,noexec,nosuid,size=16m' } : undefined,
      CapDrop: record.cap_drop,
      CapAdd: record.capabilities,
      SecurityOpt: ['no-new-privileges:true'],
      Privileged: false,
      NetworkMode: record.network,
      PidsLimit: 512,
    },
  };
}

/** Container-level operations for service records, through the engine client. */
@Injectable()
export class ServiceContainers {
  readonly deployment: string;

  constructor(
    private readonly engine: DockerEngine,
    config: AppConfig,
  ) {
    this.deployment = config.redisKeyPrefix;
  }

  ping(): Promise<void> {
    return this.engine.ping();
  }

  /** 400 when the image is not on the Docker host (this server does not pull). */
  async assertImagePresent(image: string): Promise<void> {
    const found = await this.engine.maybe(`image ${image}`, (d) => d.getImage(image).inspect());
    if (!found) {
      throw this.engine.translate(
        {
          statusCode: 400,
          message: `image "${image}" is not on the Docker host; this server does not pull images: docker pull or docker load it first`,
        },
        image,
      );
    }
  }

  async assertNetworkExists(network: string): Promise<void> {
    const found = await this.engine.maybe(`network ${network}`, (d) => d.getNetwork(network).inspect());
    if (!found)
      throw this.engine.translate(
        { statusCode: 400, message: `network "${network}" (DOCKER_NETWORK) does not exist on the Docker host` },
        network,
      );
  }

  /**
   * The container of this record's generation, made at most once: an existing container with the
   * record's name and labels (a redelivered event, or a takeover after the replica that created it
   * died) is reused and started when asked; a leftover of an earlier service of the same name is
   * removed first. Returns its id.
   */
  async ensure(record: ServiceRecord, start: boolean): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      const existing = await this.engine.maybe(`container ${record.container_name}`, (d) =>
        d.getContainer(record.container_name).inspect(),
      );
      if (existing) {
        const labels = existing.Config.Labels ?? {};
        const ours = labels[LABELS.deployment] === this.deployment && labels[LABELS.service] === record.name;
        if (!ours)
          throw Conflict(
            `a container named "${record.container_name}" exists on the Docker host and was not made by this deployment; remove it`,
          );
        if (labels[LABELS.generation] === record.generation) {
          if (start && !existing.State.Running) await this.start(existing.Id, record.name);
          return existing.Id;
        }
        await this.remove(existing.Id); // an earlier service of this name
      }
      try {
        return await this.create(record, start);
      } catch (error) {
        // Another replica created it between our look and our create: look again (once).
        if (
          attempt === 1 &&
          error instanceof DomainError &&
          error.code === 'conflict' &&
          /already in use/.test(error.message)
        )
          continue;
        throw error;
      }
    }
  }

  /** Removes the container of this record's generation (by id, else by name when its labels say it is this generation's); false when there was none. */
  async removeOwn(record: ServiceRecord): Promise<boolean> {
    if (record.container_id) return this.remove(record.container_id);
    const existing = await this.engine.maybe(`container ${record.container_name}`, (d) =>
      d.getContainer(record.container_name).inspect(),
    );
    const labels = existing?.Config.Labels ?? {};
    if (!existing || labels[LABELS.deployment] !== this.deployment || labels[LABELS.generation] !== record.generation)
      return false;
    return this.remove(existing.Id);
  }

  /** Creates the container (and starts it when asked); returns its id. */
  async create(record: ServiceRecord, start: boolean): Promise<string> {
    const container = await this.engine.call(`image ${record.image}`, (d) =>
      d.createContainer(containerOptions(record, this.deployment)),
    );
    if (start) await this.start(container.id, record.name);
    return container.id;
  }

  async start(id: string, service: string): Promise<void> {
    await this.ignoring304(this.engine.call(`container of service "${service}"`, (d) => d.getContainer(id).start()));
  }

  async stop(id: string, service: string): Promise<void> {
    await this.ignoring304(
      this.engine.call(`container of service "${service}"`, (d) => d.getContainer(id).stop({ t: 5 })),
    );
  }

  async restart(id: string, service: string): Promise<void> {
    await this.engine.call(`container of service "${service}"`, (d) => d.getContainer(id).restart({ t: 5 }));
  }

  /** Removes the container (running or not); false when it was already gone. */
  async remove(idOrName: string): Promise<boolean> {
    const removed = await this.engine.maybe(
      `container ${idOrName}`,
      (d) => d.getContainer(idOrName).remove({ force: true, v: true }) as Promise<unknown>,
    );
    return removed !== null;
  }

  /** running, exited, created...; "missing" when the engine has no such container. */
  async state(id: string | undefined): Promise<string> {
    if (!id) return 'missing';
    const info = await this.engine.maybe('container', (d) => d.getContainer(id).inspect());
    return info ? info.State.Status : 'missing';
  }

  /** Containers of this deployment carrying the managed label (running or not). */
  async listManaged(): Promise<ContainerInfo[]> {
    return this.engine.call('containers', (d) =>
      d.listContainers({
        all: true,
        filters: { label: [`${LABELS.managed}=true`, `${LABELS.deployment}=${this.deployment}`] },
      }),
    );
  }

  async logs(id: string, service: string, tail: number, timestamps: boolean): Promise<LogLine[]> {
    const raw = await this.engine.call(`container of service "${service}"`, (d) =>
      d.getContainer(id).logs({ stdout: true, stderr: true, tail, timestamps, follow: false }),
    );
    return demuxDockerLog(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)));
  }

  /** A text stream of stdout+stderr that keeps following; destroying it closes the engine stream. */
  async followLogs(id: string, service: string, tail: number, timestamps: boolean): Promise<Readable> {
    const source = (await this.engine.call(`container of service "${service}"`, (d) =>
      d.getContainer(id).logs({ stdout: true, stderr: true, tail, timestamps, follow: true }),
    )) as unknown as Readable;
    const out = new PassThrough();
    this.engine.docker.modem.demuxStream(source, out, out);
    source.once('end', () => out.end());
    source.once('error', (e) => out.destroy(e));
    out.once('close', () => source.destroy());
    return out;
  }

  async stats(id: string, service: string): Promise<ContainerStatsSummary> {
    const stats = await this.engine.call(
      `container of service "${service}"`,
      (d) => d.getContainer(id).stats({ stream: false }) as Promise<ContainerStats>,
    );
    return summarizeStats(stats);
  }

  private async ignoring304(operation: Promise<unknown>): Promise<void> {
    try {
      await operation;
    } catch (error) {
      // 304: already started / already stopped.
      if (statusOf(error) !== 304 && !/already (started|stopped)/.test((error as Error).message)) throw error;
    }
  }
}

/** CPU % as `docker stats` computes it (delta of container vs. system time, times online CPUs). */
export function summarizeStats(s: ContainerStats): ContainerStatsSummary {
  const cpuDelta = s.cpu_stats.cpu_usage.total_usage - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
  const onlineCpus = s.cpu_stats.online_cpus || s.cpu_stats.cpu_usage.percpu_usage?.length || 1;
  const cpuPercent = systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * onlineCpus * 100 : 0;
  const memoryStats = s.memory_stats as ContainerStats['memory_stats'] & { stats?: Record<string, number> };
  // Like docker stats: usage minus page cache (cgroup v2: inactive_file; v1: total_inactive_file).
  const cache = memoryStats.stats?.inactive_file ?? memoryStats.stats?.total_inactive_file ?? 0;
  const usage = Math.max(0, (memoryStats.usage ?? 0) - cache);
  const limit = memoryStats.limit ?? 0;
  const networks = Object.values(s.networks ?? {});
  const blkio = (s.blkio_stats?.io_service_bytes_recursive ?? []) as { op: string; value: number }[];
  const sumOp = (op: string) => blkio.filter((e) => e.op.toLowerCase() === op).reduce((t, e) => t + e.value, 0);
  return {
    read_at: s.read,
    cpu_percent: Math.round(cpuPercent * 100) / 100,
    online_cpus: onlineCpus,
    memory_usage_bytes: usage,
    memory_limit_bytes: limit,
    memory_percent: limit > 0 ? Math.round((usage / limit) * 10000) / 100 : 0,
    network_rx_bytes: networks.reduce((t, n) => t + n.rx_bytes, 0),
    network_tx_bytes: networks.reduce((t, n) => t + n.tx_bytes, 0),
    block_read_bytes: sumOp('read'),
    block_write_bytes: sumOp('write'),
    pids: (s.pids_stats as { current?: number } | undefined)?.current ?? 0,
  };
}
