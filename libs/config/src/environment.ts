import { plainToInstance, Transform } from 'class-transformer';
import {
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
  validateSync,
  ValidationError,
} from 'class-validator';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const HOST_PORT_LIST = /^\s*[A-Za-z0-9.\-[\]:]+:\d{1,5}\s*(,\s*[A-Za-z0-9.\-[\]:]+:\d{1,5}\s*)*$/;
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
const toLower = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

/**
 * Every environment variable the server reads, validated at boot. Nothing else in the code reads
 * `process.env`; `.env.example` documents each of these.
 */
export class Environment {
  @IsOptional()
  @Matches(/^rediss?:\/\/[^\s]+$/, { message: 'must be a redis:// or rediss:// URL, e.g. redis://:password@127.0.0.1:6379/0' })
  REDIS_URL?: string;

  /** Password applied when REDIS_URL carries none (the original system's variable). */
  @IsOptional()
  @IsString()
  REDIS_PASSWORD?: string;

  @IsOptional()
  @Matches(HOST_PORT_LIST, { message: 'must be a comma-separated list of host:port, e.g. 127.0.0.1:26379,127.0.0.1:26380' })
  REDIS_SENTINELS?: string;

  @ValidateIf((env: Environment) => env.REDIS_SENTINELS !== undefined)
  @IsString({ message: 'is required when REDIS_SENTINELS is set (the name of the monitored primary)' })
  @MinLength(1)
  REDIS_SENTINEL_NAME?: string;

  @IsOptional()
  @IsString()
  REDIS_SENTINEL_PASSWORD?: string;

  @IsOptional()
  @Matches(HOST_PORT_LIST, { message: 'must be a comma-separated list of host:port, e.g. 127.0.0.1:7000,127.0.0.1:7001' })
  REDIS_CLUSTER_NODES?: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'must be 1-64 characters of letters, digits, _ . -' })
  REDIS_KEY_PREFIX: string = 'proxy';

  @IsString({ message: 'is required: the admin API token (npm start generates one for development)' })
  @MinLength(16, { message: 'must be at least 16 characters' })
  ADMIN_TOKEN!: string;

  @Transform(toInt)
  @IsInt({ message: 'must be a port number' })
  @Min(0)
  @Max(65535)
  HTTP_PORT: number = 80;

  @Transform(toInt)
  @IsInt({ message: 'must be a port number' })
  @Min(0)
  @Max(65535)
  HTTPS_PORT: number = 443;

  @Transform(toInt)
  @IsInt({ message: 'must be a port number' })
  @Min(0)
  @Max(65535)
  API_PORT: number = 9000;

  @IsOptional()
  @IsString()
  API_BIND: string = '127.0.0.1';

  @Transform(toLower)
  @IsOptional()
  @Matches(HOSTNAME, { message: 'must be a DNS name such as example.com (no scheme, port or path)' })
  BASE_DOMAIN: string = 'localhost';

  @IsOptional()
  @IsEmail({ require_tld: false }, { message: 'must be an e-mail address' })
  ADMIN_EMAIL?: string;

  @Transform(toLower)
  @IsOptional()
  @IsIn(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: LogLevel = 'info';

  /** Largest accepted API request body, in bytes; larger bodies answer 413. */
  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be a number of bytes' })
  @Min(1024)
  @Max(100 * 1024 * 1024)
  API_BODY_LIMIT: number = 1024 * 1024;

  /** Seconds between the slow configuration-version checks (a safety net behind pub/sub). */
  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3600)
  CONFIG_POLL_SECONDS: number = 5;

  /** Hours the request log keeps entries (stream and indexes); older ones are trimmed. */
  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be a whole number of hours' })
  @Min(1)
  @Max(24 * 90)
  LOG_RETENTION_HOURS: number = 24;

  /** Upper bound on request-log entries kept in Redis, whatever their age (approximate trim). */
  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be a number of entries' })
  @Min(1000)
  @Max(100_000_000)
  LOG_MAX_ENTRIES: number = 1_000_000;

  /** Request-log entries held in memory while Redis is slow or down; beyond it entries are dropped (and counted). */
  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be a number of entries' })
  @Min(1)
  @Max(1_000_000)
  LOG_BUFFER_ENTRIES: number = 10_000;

  /** When set, GET /metrics needs "Authorization: Bearer <METRICS_TOKEN>"; unset, it is public like /health. */
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'must be at least 16 characters' })
  METRICS_TOKEN?: string;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly problem: string,
  ) {
    super(`${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

/** Validates raw environment variables; throws ConfigError naming the first bad variable. */
export function parseEnvironment(raw: Record<string, string | undefined>): Environment {
  // An empty variable means "not set", so defaults apply (docker-compose passes empty strings).
  const input: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value !== undefined && value.trim() !== '') input[key] = value;
  }
  const env = plainToInstance(Environment, input, { exposeDefaultValues: true });
  const errors = validateSync(env, { whitelist: true, forbidUnknownValues: false });
  if (errors.length > 0) throw toConfigError(errors[0], raw);
  if (env.REDIS_SENTINELS && env.REDIS_CLUSTER_NODES) {
    throw new ConfigError('REDIS_CLUSTER_NODES', 'cannot be combined with REDIS_SENTINELS: choose one Redis topology');
  }
  return env;
}

function toConfigError(error: ValidationError, raw: Record<string, string | undefined>): ConfigError {
  const messages = Object.values(error.constraints ?? {});
  // Constraints come bottom-up; the last is the decorator written first, the most basic check.
  // class-validator prefixes messages with the property name for its defaults; strip it, ConfigError adds it.
  const problem = (messages[messages.length - 1] ?? 'is invalid').replace(new RegExp(`^${error.property}\\s+`), '');
  const value = raw[error.property];
  const shown = value === undefined || /TOKEN|PASSWORD|SECRET|KEY/.test(error.property) ? '' : ` (got "${value}")`;
  return new ConfigError(error.property, `${problem}${shown}`);
}
