import { createPrivateKey, KeyObject } from 'node:crypto';
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

  // --- OAuth 2.1 authorization server -------------------------------------------------------

  /** Hostname of the authorization server on the public listeners; default auth.<BASE_DOMAIN>. */
  @Transform(toLower)
  @IsOptional()
  @Matches(HOSTNAME, { message: 'must be a DNS name such as auth.example.com (no scheme, port or path)' })
  AUTH_HOSTNAME?: string;

  /** The issuer, one exact string everywhere; default https://<AUTH_HOSTNAME>. */
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*[^\s?#/])?$/, { message: 'must be an http(s) URL without query, fragment or trailing slash, e.g. https://auth.example.com' })
  OAUTH_ISSUER?: string;

  /** RSA private key (PEM, base64) that signs access tokens. */
  @IsOptional()
  @IsString()
  OAUTH_JWT_PRIVATE_KEY_B64?: string;

  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be a number of seconds' })
  @Min(30)
  @Max(86400)
  OAUTH_ACCESS_TOKEN_TTL_SECONDS: number = 3600;

  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be a number of seconds' })
  @Min(60)
  @Max(365 * 86400)
  OAUTH_REFRESH_TOKEN_TTL_SECONDS: number = 30 * 86400;

  /** How long a rotated refresh token still works (lost responses, concurrent refreshes). */
  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be a number of seconds' })
  @Min(0)
  @Max(600)
  OAUTH_REFRESH_GRACE_SECONDS: number = 30;

  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be a number of seconds' })
  @Min(10)
  @Max(600)
  OAUTH_CODE_TTL_SECONDS: number = 60;

  /** Browser login session at the authorization server (cookie), in seconds. */
  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be a number of seconds' })
  @Min(60)
  @Max(30 * 86400)
  OAUTH_SESSION_TTL_SECONDS: number = 8 * 3600;

  /** How long a user's approval of a client is remembered. */
  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be a number of seconds' })
  @Min(60)
  @Max(3650 * 86400)
  OAUTH_CONSENT_TTL_SECONDS: number = 90 * 86400;

  /** Space- or comma-separated scopes the server grants. */
  @IsOptional()
  @Matches(/^[\x21\x23-\x5B\x5D-\x7E]+([ ,]+[\x21\x23-\x5B\x5D-\x7E]+)*$/, { message: 'must be a space- or comma-separated list of scope names, e.g. "mcp:read mcp:write"' })
  OAUTH_SCOPES: string = 'mcp:read mcp:write';

  /** GitHub logins allowed to sign in at all: "*" or a comma-separated list. Empty: nobody. */
  @IsOptional()
  @Matches(/^(\*|[A-Za-z0-9-]+(\s*,\s*[A-Za-z0-9-]+)*)$/, { message: 'must be "*" or a comma-separated list of GitHub logins' })
  OAUTH_ALLOWED_GITHUB_USERS?: string;

  /** Dynamic client registrations accepted per client IP per minute. */
  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10000)
  OAUTH_REGISTRATION_RATE_LIMIT: number = 20;

  /** A dynamically registered client that never obtains a token is forgotten after this. */
  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be a number of seconds' })
  @Min(60)
  OAUTH_UNUSED_CLIENT_TTL_SECONDS: number = 86400;

  /** Client ID Metadata Documents may be fetched from private/loopback addresses (tests, intranets). */
  @IsOptional()
  @IsIn(['true', 'false', '1', '0'], { message: 'must be true or false' })
  OAUTH_CIMD_ALLOW_PRIVATE: string = 'false';

  /** Seconds between full re-reads of the revoked-token list (pub/sub keeps it current meanwhile). */
  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3600)
  OAUTH_REVOCATION_SYNC_SECONDS: number = 10;

  @IsOptional()
  @IsString()
  GITHUB_CLIENT_ID?: string;

  @IsOptional()
  @IsString()
  GITHUB_CLIENT_SECRET?: string;

  /** GitHub web base URL (GitHub Enterprise: https://github.example.com). */
  @IsOptional()
  @Matches(/^https?:\/\/[^\s]+$/, { message: 'must be an http(s) URL, e.g. https://github.com' })
  GITHUB_BASE_URL: string = 'https://github.com';

  /** GitHub API base URL (GitHub Enterprise: https://github.example.com/api/v3). */
  @IsOptional()
  @Matches(/^https?:\/\/[^\s]+$/, { message: 'must be an http(s) URL, e.g. https://api.github.com' })
  GITHUB_API_URL: string = 'https://api.github.com';
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
  if (env.OAUTH_JWT_PRIVATE_KEY_B64) checkRsaPrivateKey(env.OAUTH_JWT_PRIVATE_KEY_B64);
  return env;
}

function checkRsaPrivateKey(b64: string): void {
  let key: KeyObject;
  try {
    key = createPrivateKey(Buffer.from(b64, 'base64').toString('utf8'));
  } catch {
    throw new ConfigError('OAUTH_JWT_PRIVATE_KEY_B64', 'must be a base64-encoded PEM RSA private key (npm start generates one)');
  }
  if (key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new ConfigError('OAUTH_JWT_PRIVATE_KEY_B64', 'must be an RSA private key of at least 2048 bits (tokens are signed RS256)');
  }
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
