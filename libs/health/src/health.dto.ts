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

export class SystemCertificateHealthDto {
  /** The setting naming the hostname: AUTH_HOSTNAME or ADMIN_HOSTNAME. */
  role!: 'AUTH_HOSTNAME' | 'ADMIN_HOSTNAME';
  hostname!: string;
  cert_name!: string;
  /** The certificate's status; `missing` before the server created it. */
  status!: string;
  /** A certificate is stored and not expired. */
  valid!: boolean;
  expires_at!: string | null;
  error!: string | null;
}

export class HealthDto {
  status!: 'ok' | 'degraded';
  /** Why the status is `degraded` (absent when `ok`). */
  reasons?: string[];
  redis!: RedisHealthDto;
  /** The certificates the server orders for its own hostnames (absent with AUTO_CERTIFICATES=false or localhost names). */
  system_certificates?: SystemCertificateHealthDto[];
  version!: string;
  uptime_s!: number;
  /** Which server process answered (with WORKERS > 1 each connection may reach another one). */
  worker!: WorkerDto;
}
