export class RedisHealthDto {
  status!: 'up' | 'down';
  latency_ms!: number | null;
  error?: string;
}

export class WorkerDto {
  /** Cluster worker id (WORKERS > 1; a restarted worker gets a new one); 0 in a single-process server. */
  id!: number;
  /** Process id of the process that answered. */
  pid!: number;
}

export class HealthDto {
  status!: 'ok' | 'degraded';
  redis!: RedisHealthDto;
  version!: string;
  uptime_s!: number;
  /** Which server process answered (with WORKERS > 1 each connection may reach another one). */
  worker!: WorkerDto;
}
