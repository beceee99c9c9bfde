import { isIP } from 'node:net';
import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import { plainToInstance, Transform } from 'class-transformer';
import { checkFeatureSettings } from './feature-settings';
import { parseRateLimitsSetting } from './rate-limit-spec';
import {
  IsBoolean,
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

/** Forwarding engines for plain-HTTP backends (HTTPS backends always use undici, upgrades node:http). */
export const FORWARDING_ENGINES = ['http1', 'undici', 'node'] as const;
export type ForwardingEngineName = (typeof FORWARDING_ENGINES)[number];

/**
 * What a token sent as `Authorization: Bearer <token>` may contain: RFC 6750's b64token, the grammar
 * the header parser (`@app/http`) accepts. A configured token outside it could never be presented.
 */
const BEARER_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const BEARER_TOKEN_MESSAGE = 'must be usable as a bearer token: letters, digits, - . _ ~ + / and trailing =';

/** Which forwarded headers a trusted HTTP load balancer writes (FORWARDED_HEADERS). */
export const FORWARDED_HEADER_FORMATS = ['x-forwarded', 'forwarded'] as const;
export type ForwardedHeaderFormat = (typeof FORWARDED_HEADER_FORMATS)[number];

const HOST_PORT_LIST = /^\s*[A-Za-z0-9.\-[\]:]+:\d{1,5}\s*(,\s*[A-Za-z0-9.\-[\]:]+:\d{1,5}\s*)*$/;
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

const PORT_RANGE = /^\s*\d{1,5}\s*-\s*\d{1,5}\s*$/;

const CIDR = '\\s*[0-9A-Fa-f.:]+\\/\\d{1,3}\\s*';
const CIDR_LIST = new RegExp(`^${CIDR}(,${CIDR})*$`);

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
const toBool = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (v === 'true' || v === '1' || v === 'yes') return true;
  if (v === 'false' || v === '0' || v === 'no') return false;
  return value;
};
const toLower = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

/**
 * Every environment variable the server reads, validated at boot. Nothing else in the code reads
 * `process.env`; `.env.example` documents each of these.
 */
export class Environment {
  @IsOptional()
  @Matches(/^rediss?:\/\/[^\s]+$/, {
    message: 'must be a redis:// or rediss:// URL, e.g. redis://:password@127.0.0.1:6379/0',
  })
  REDIS_URL?: string;

  /** Password applied when REDIS_URL carries none (the original system's variable). */
  @IsOptional()
  @IsString()
  REDIS_PASSWORD?: string;

  @IsOptional()
  @Matches(HOST_PORT_LIST, {
    message: 'must be a comma-separated list of host:port, e.g. 127.0.0.1:26379,127.0.0.1:26380',
  })
  REDIS_SENTINELS?: string;

  @ValidateIf((env: Environment) => env.REDIS_SENTINELS !== undefined)
  @IsString({ message: 'is required when REDIS_SENTINELS is set (the name of the monitored primary)' })
  @MinLength(1)
  REDIS_SENTINEL_NAME?: string;

  @IsOptional()
  @IsString()
  REDIS_SENTINEL_PASSWORD?: string;

  @IsOptional()
  @Matches(HOST_PORT_LIST, {
    message: 'must be a comma-separated list of host:port, e.g. 127.0.0.1:7000,127.0.0.1:7001',
  })
  REDIS_CLUSTER_NODES?: string;

  /**
   * Configuration writes wait (WAIT, at most 1 s) until this many replicas have them, so a failover
   * right after a write does not lose it. 0 (default): no wait.
   */
  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be a whole number of replicas' })
  @Min(0)
  @Max(10)
  REDIS_WAIT_REPLICAS: number = 0;

  @IsOptional()
  @Matches(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'must be 1-64 characters of letters, digits, _ . -' })
  REDIS_KEY_PREFIX: string = 'proxy';

  @IsString({ message: 'is required: the admin API token (npm start generates one for development)' })
  @MinLength(16, { message: 'must be at least 16 characters' })
  @Matches(BEARER_TOKEN, { message: BEARER_TOKEN_MESSAGE })
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

  /** Address the public listeners (HTTP, HTTPS, PROXY protocol) bind to. */
  @IsOptional()
  @IsString()
  PUBLIC_BIND: string = '0.0.0.0';

  /** Listener that expects a PROXY protocol v1/v2 header from a trusted peer; 0 turns it off. */
  @Transform(toInt)
  @IsInt({ message: 'must be a port number (0 turns the PROXY protocol listener off)' })
  @Min(0)
  @Max(65535)
  PROXY_PROTOCOL_PORT: number = 10001;

  /** Peers allowed to send PROXY headers (comma-separated CIDRs); others are disconnected. */
  @IsOptional()
  @Matches(CIDR_LIST, { message: 'must be a comma-separated list of CIDRs, e.g. 10.0.0.0/8,127.0.0.1/32,::1/128' })
  PROXY_PROTOCOL_TRUSTED_CIDRS: string = '127.0.0.0/8,::1/128';

  /** Expect a PROXY header on the HTTP_PORT listener too (deployments behind a TCP load balancer). */
  @Transform(toBool)
  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  HTTP_PROXY_PROTOCOL: boolean = false;

  /** Expect a PROXY header (before TLS) on the HTTPS_PORT listener. */
  @Transform(toBool)
  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  HTTPS_PROXY_PROTOCOL: boolean = false;

  /**
   * Longest time a client may take to send a request head on the public listeners, counted from
   * the connection (or the end of the previous answer): not reset per byte, so a slowloris client
   * is cut at the deadline (408). Also closes connections that never send anything.
   */
  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be a whole number of seconds' })
  @Min(1)
  @Max(600)
  PUBLIC_HEADERS_TIMEOUT_SECONDS: number = 30;

  /** An idle keep-alive connection on the public listeners closes after this many seconds. */
  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be a whole number of seconds' })
  @Min(1)
  @Max(600)
  PUBLIC_KEEPALIVE_TIMEOUT_SECONDS: number = 5;

  /**
   * When the proxy answers before reading the request body (401/403 from the auth policy, 404,
   * 413, ...), it reads and discards the rest of the body for at most this long, then closes.
   */
  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be a whole number of seconds' })
  @Min(1)
  @Max(300)
  UNAUTHENTICATED_BODY_DEADLINE_SECONDS: number = 10;

  /** The most body bytes read and discarded after such an early answer before the connection closes. */
  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be a number of bytes' })
  @Min(0)
  @Max(1024 * 1024 * 1024)
  EARLY_RESPONSE_DRAIN_BYTES: number = 4 * 1024 * 1024;

  /**
   * The largest JSON-RPC body the proxy reads on a protected MCP endpoint (a POST of an
   * authenticated request to a registered resource endpoint) to check it; larger ones get 413.
   */
  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be a number of bytes' })
  @Min(1024)
  @Max(64 * 1024 * 1024)
  MCP_INSPECT_MAX_BYTES: number = 1024 * 1024;

  /**
   * The largest answer the proxy holds to filter a list for a caller (MCP policies): a JSON body, or
   * one event of an event stream. A larger one is not passed (502, or the stream is ended).
   */
  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be a number of bytes' })
  @Min(1024)
  @Max(256 * 1024 * 1024)
  MCP_LIST_ANSWER_MAX_BYTES: number = 8 * 1024 * 1024;

  /**
   * Rate limits on every proxied request (targets and routes; not the admin API, OAuth or ACME): a
   * JSON array such as `[{"per":"address","limit":600,"window":"1m"}]` (docs/rate-limits.md). Unset: none.
   */
  @IsOptional()
  @IsString()
  RATE_LIMITS?: string;

  /** The HTTP port clients reach (port mapping, load balancer); published URLs use it. Default: HTTP_PORT. */
  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be a port number (the port clients use, e.g. 80)' })
  @Min(1)
  @Max(65535)
  PUBLIC_HTTP_PORT?: number;

  /** The HTTPS port clients reach (port mapping, load balancer); published URLs use it. Default: HTTPS_PORT. */
  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be a port number (the port clients use, e.g. 443)' })
  @Min(1)
  @Max(65535)
  PUBLIC_HTTPS_PORT?: number;

  /**
   * HTTP load balancers whose forwarded headers are believed (comma-separated CIDRs). Unset: none;
   * client forwarded headers are always removed.
   */
  @IsOptional()
  @Matches(CIDR_LIST, { message: 'must be a comma-separated list of CIDRs, e.g. 10.0.0.0/8,127.0.0.1/32,::1/128' })
  FORWARDED_TRUSTED_CIDRS?: string;

  /** The headers those balancers write: x-forwarded (X-Forwarded-For/-Proto) or forwarded (RFC 7239). */
  @Transform(toLower)
  @IsOptional()
  @IsIn(FORWARDED_HEADER_FORMATS, { message: `must be one of ${FORWARDED_HEADER_FORMATS.join(', ')}` })
  FORWARDED_HEADERS: ForwardedHeaderFormat = 'x-forwarded';

  /** Hostname on the public listeners that serves the admin surface (API, docs, health). Unset: none. */
  @Transform(toLower)
  @IsOptional()
  @Matches(HOSTNAME, { message: 'must be a DNS name such as admin.example.com (no scheme, port or path)' })
  ADMIN_HOSTNAME?: string;

  /** Hostname of the OAuth authorization server on the public listeners. Default auth.<BASE_DOMAIN>. */
  @Transform(toLower)
  @IsOptional()
  @Matches(HOSTNAME, { message: 'must be a DNS name such as auth.example.com (no scheme, port or path)' })
  AUTH_HOSTNAME?: string;

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

  /**
   * Server processes sharing the listeners (node:cluster): a positive number or `auto` (one per
   * available CPU). 1 (default): one process, no cluster primary.
   */
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && value.trim().toLowerCase() === 'auto' ? 'auto' : toInt({ value }),
  )
  @IsOptional()
  @ValidateIf((env: Environment) => env.WORKERS !== 'auto')
  @IsInt({ message: 'must be a positive whole number or "auto" (one worker per CPU)' })
  @Min(1, { message: 'must be a positive whole number or "auto" (one worker per CPU)' })
  @Max(256, { message: 'must be at most 256' })
  WORKERS: number | 'auto' = 1;

  /**
   * The certificate served when no stored certificate matches the SNI name: base64 of a PEM bundle,
   * private key then certificate(s). Unset: a self-signed one is generated at start (by the cluster
   * primary when WORKERS > 1, so every worker presents the same one).
   */
  @IsOptional()
  @IsString()
  TLS_FALLBACK_PEM_B64?: string;

  /** The forwarding engine for plain-HTTP backends: http1 (ours, fastest), undici or node (node:http). */
  @Transform(toLower)
  @IsOptional()
  @IsIn(FORWARDING_ENGINES, { message: `must be one of ${FORWARDING_ENGINES.join(', ')}` })
  FORWARDING_ENGINE: ForwardingEngineName = 'http1';

  /** Seconds between the slow configuration-version checks (a safety net behind pub/sub). */
  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3600)
  CONFIG_POLL_SECONDS: number = 5;

  /** Order a certificate (proxy-<hostname>) automatically when a proxy target with HTTPS is created. */
  @Transform(toBool)
  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  AUTO_CERTIFICATES: boolean = true;

  /** AES-256-GCM key (32 bytes, base64) that encrypts private keys at rest. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9+/]{43}=$/, {
    message: 'must be 32 random bytes in base64 (44 characters), e.g. from: openssl rand -base64 32',
  })
  STORAGE_ENCRYPTION_KEY?: string;

  /** ACME directory used when a request names none (or says "production"). */
  @IsOptional()
  @Matches(/^https:\/\/[^\s]+$/, { message: 'must be an https:// URL of an ACME directory' })
  ACME_DIRECTORY_URL: string = 'https://acme-v02.api.letsencrypt.org/directory';

  /** ACME directory used when a request says "staging". */
  @IsOptional()
  @Matches(/^https:\/\/[^\s]+$/, { message: 'must be an https:// URL of an ACME directory' })
  ACME_STAGING_URL: string = 'https://acme-staging-v02.api.letsencrypt.org/directory';

  /** PEM file of extra trusted roots for talking to private ACME CAs (e.g. Pebble, step-ca). */
  @IsOptional()
  @IsString()
  ACME_CA_BUNDLE?: string;

  /** Skip acme-client's own DNS/HTTP pre-check of each challenge and let the CA validate. */
  @Transform(toBool)
  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  ACME_SKIP_CHALLENGE_VERIFICATION: boolean = false;

  /** Certificates expiring within this many days are renewed. */
  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be a whole number of days' })
  @Min(1)
  @Max(100000)
  RENEWAL_THRESHOLD_DAYS: number = 30;

  /** Seconds between renewal sweeps. */
  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be a number of seconds' })
  @Min(1)
  @Max(86400)
  RENEWAL_CHECK_SECONDS: number = 3600;

  /** First retry delay after a failed renewal; doubles per failure, at most one day. */
  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be a number of seconds' })
  @Min(1)
  @Max(86400)
  RENEWAL_RETRY_SECONDS: number = 600;

  /** Workflow bus: a message held this long by a replica that stopped heartbeating is taken over by another. */
  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be a number of milliseconds' })
  @Min(500)
  @Max(3600000)
  WORKFLOW_CLAIM_TIMEOUT_MS: number = 30000;

  /** Workflow bus: attempts per message before it moves to the dead-letter stream. */
  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be a whole number' })
  @Min(1)
  @Max(100)
  WORKFLOW_MAX_ATTEMPTS: number = 5;

  /** Workflow bus: delay before the first retry of a failed message; doubles per attempt. */
  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be a number of milliseconds' })
  @Min(10)
  @Max(3600000)
  WORKFLOW_RETRY_BASE_MS: number = 2000;

  /** Workflow bus: approximate length cap of the event and dead-letter streams (XADD MAXLEN ~). */
  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be a whole number' })
  @Min(100)
  @Max(10000000)
  WORKFLOW_STREAM_MAXLEN: number = 10000;
  /** Docker Engine address: unix:///path/docker.sock, tcp://host:2375 or http(s)://host:port. Wins over DOCKER_SOCKET_PATH. */
  @IsOptional()
  @Matches(/^(unix:\/\/\/\S+|(tcp|http|https):\/\/[^\s/]+(:\d+)?\/?)$/, {
    message: 'must be unix:///path/to/docker.sock or tcp://host:port',
  })
  DOCKER_HOST?: string;

  /** Docker Engine socket path, used when DOCKER_HOST is unset. */
  @IsOptional()
  @Matches(/^\/\S+$/, { message: 'must be an absolute path such as /var/run/docker.sock' })
  DOCKER_SOCKET_PATH: string = '/var/run/docker.sock';

  /** Comma-separated image patterns services may use (`*` matches any characters, e.g. `ghcr.io/acme/*,busybox:*`). Empty: none. */
  @IsOptional()
  @Matches(/^\s*[A-Za-z0-9*._/:@-]+\s*(,\s*[A-Za-z0-9*._/:@-]+\s*)*$/, {
    message: 'must be a comma-separated list of image patterns such as ghcr.io/acme/*,busybox:*',
  })
  DOCKER_IMAGE_ALLOWLIST?: string;

  /** Docker network managed containers join; default: the engine's default bridge. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, { message: 'must be a Docker network name' })
  DOCKER_NETWORK?: string;

  /** Seconds between reconciliation scans (containers labelled as ours vs. service records). */
  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be a number of seconds' })
  @Min(5)
  @Max(86400)
  DOCKER_RECONCILE_SECONDS: number = 300;

  /** Host ports for services bound to 127.0.0.1 (reached by the proxy), as first-last. */
  @IsOptional()
  @Matches(PORT_RANGE, { message: 'must be a port range first-last, e.g. 9000-10999' })
  PORTS_INTERNAL_RANGE: string = '9000-10999';

  /** Host ports for services bound to 0.0.0.0 (reachable from outside; admin only), as first-last. */
  @IsOptional()
  @Matches(PORT_RANGE, { message: 'must be a port range first-last, e.g. 11000-19999' })
  PORTS_EXPOSED_RANGE: string = '11000-19999';

  /** Ports never allocated (the server's own API/HTTP/HTTPS ports are always excluded too). */
  @IsOptional()
  @Matches(/^\s*\d{1,5}\s*(,\s*\d{1,5}\s*)*$/, { message: 'must be a comma-separated list of port numbers' })
  PORTS_RESERVED: string = '22,25,53,80,443,3306,5432,6379,27017';
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
  @Matches(BEARER_TOKEN, { message: BEARER_TOKEN_MESSAGE })
  METRICS_TOKEN?: string;
  // --- OAuth 2.1 authorization server -------------------------------------------------------

  /** The issuer, one exact string everywhere; default https://<AUTH_HOSTNAME>. */
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*[^\s?#/])?$/, {
    message: 'must be an http(s) URL without query, fragment or trailing slash, e.g. https://auth.example.com',
  })
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
  @Matches(/^[\x21\x23-\x5B\x5D-\x7E]+([ ,]+[\x21\x23-\x5B\x5D-\x7E]+)*$/, {
    message: 'must be a space- or comma-separated list of scope names, e.g. "mcp:read mcp:write"',
  })
  OAUTH_SCOPES: string = 'mcp:read mcp:write';

  /** GitHub logins allowed to sign in at all: "*" or a comma-separated list. Empty: nobody. */
  @IsOptional()
  @Matches(/^(\*|[A-Za-z0-9-]+(\s*,\s*[A-Za-z0-9-]+)*)$/, {
    message: 'must be "*" or a comma-separated list of GitHub logins',
  })
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

  /**
   * DNS servers that resolve Client ID Metadata Document hosts (comma-separated `ip`, `ip:port`,
   * `[v6]:port`), instead of the system resolver. Unset: the system resolver (getaddrinfo).
   */
  @IsOptional()
  @IsString()
  OAUTH_CIMD_DNS_SERVERS?: string;

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
  for (const name of ['PORTS_INTERNAL_RANGE', 'PORTS_EXPOSED_RANGE'] as const) {
    const [first, last] = env[name].split('-').map((p) => Number(p.trim()));
    if (first < 1 || last > 65535 || first > last)
      throw new ConfigError(name, `must be first-last with 1 <= first <= last <= 65535 (got "${env[name]}")`);
  }
  for (const name of ['PROXY_PROTOCOL_TRUSTED_CIDRS', 'FORWARDED_TRUSTED_CIDRS'] as const) {
    const badCidr = (env[name] ?? '')
      .split(',')
      .map((c) => c.trim())
      .find((c) => c !== '' && !isCidr(c));
    if (badCidr !== undefined)
      throw new ConfigError(name, `contains "${badCidr}", which is not a CIDR such as 10.0.0.0/8 or ::1/128`);
  }
  if (env.REDIS_SENTINELS && env.REDIS_CLUSTER_NODES) {
    throw new ConfigError('REDIS_CLUSTER_NODES', 'cannot be combined with REDIS_SENTINELS: choose one Redis topology');
  }
  if (env.OAUTH_CIMD_DNS_SERVERS) {
    const bad = env.OAUTH_CIMD_DNS_SERVERS.split(',')
      .map((e) => e.trim())
      .find((e) => dnsServer(e) === null);
    if (bad !== undefined)
      throw new ConfigError(
        'OAUTH_CIMD_DNS_SERVERS',
        `contains "${bad}", which is not an IP address with an optional port, such as 10.0.0.2, 10.0.0.2:53 or [fd00::53]:53`,
      );
  }
  checkRateLimits(env.RATE_LIMITS);
  if (env.OAUTH_JWT_PRIVATE_KEY_B64) checkRsaPrivateKey(env.OAUTH_JWT_PRIVATE_KEY_B64);
  if (env.TLS_FALLBACK_PEM_B64) checkFallbackPem(env.TLS_FALLBACK_PEM_B64);
  checkFeatureSettings(env);
  return env;
}

/** A DNS server as `dns.Resolver#setServers` takes it (`ip`, `ip:port`, `[v6]`, `[v6]:port`), or null. */
export function dnsServer(entry: string): string | null {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(entry);
  const plain = /^([0-9.]+)(?::(\d{1,5}))?$/.exec(entry);
  if (!bracketed && !plain) return isIP(entry) === 6 ? entry : null;
  const [, ip, port] = (bracketed ?? plain)!;
  if (isIP(ip) !== (bracketed ? 6 : 4)) return null;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return null;
  return entry;
}

/** RATE_LIMITS parses (the messages say what to fix, each naming its limit: `RATE_LIMITS[0]: ...`). */
function checkRateLimits(text: string | undefined): void {
  try {
    parseRateLimitsSetting('RATE_LIMITS', text);
  } catch (error) {
    const message = (error as Error).message;
    throw new ConfigError(
      'RATE_LIMITS',
      message.startsWith('RATE_LIMITS ') ? message.slice('RATE_LIMITS '.length) : `is invalid: ${message}`,
    );
  }
}

function isCidr(value: string): boolean {
  const [network, bits, extra] = value.split('/');
  const version = isIP(network ?? '');
  return (
    extra === undefined && version !== 0 && /^\d{1,3}$/.test(bits ?? '') && Number(bits) <= (version === 4 ? 32 : 128)
  );
}

function checkRsaPrivateKey(b64: string): void {
  let key: KeyObject;
  try {
    key = createPrivateKey(Buffer.from(b64, 'base64').toString('utf8'));
  } catch {
    throw new ConfigError(
      'OAUTH_JWT_PRIVATE_KEY_B64',
      'must be a base64-encoded PEM RSA private key (npm start generates one)',
    );
  }
  if (key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new ConfigError(
      'OAUTH_JWT_PRIVATE_KEY_B64',
      'must be an RSA private key of at least 2048 bits (tokens are signed RS256)',
    );
  }
}

/** Splits a PEM bundle into its private key and its certificate chain. */
export function splitPemBundle(pem: string): { key: string; cert: string } {
  const key = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----/.exec(pem)?.[0] ?? '';
  const cert = (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).join('\n');
  return { key, cert };
}

function checkFallbackPem(b64: string): void {
  const { key, cert } = splitPemBundle(Buffer.from(b64, 'base64').toString('utf8'));
  try {
    createPrivateKey(key);
    new X509Certificate(cert);
  } catch {
    throw new ConfigError(
      'TLS_FALLBACK_PEM_B64',
      'must be base64 of a PEM private key followed by its certificate, e.g. from: cat key.pem cert.pem | base64 -w0',
    );
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
