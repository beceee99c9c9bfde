export class RedisHealthDto {
  status!: 'up' | 'down';
  latency_ms!: number | null;
  error?: string;
}

export class HealthDto {
  status!: 'ok' | 'degraded';
  redis!: RedisHealthDto;
  version!: string;
  uptime_s!: number;
}
