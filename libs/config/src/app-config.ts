import { Injectable } from '@nestjs/common';
import { availableParallelism } from 'node:os';
import { Environment, ForwardedHeaderFormat, ForwardingEngineName, LogLevel, splitPemBundle } from './environment';
import { parseRateLimitsSetting, type RateLimit } from './rate-limit-spec';
import { ReservedHostnames } from './reserved-hostnames';
import { version } from '../../../package.json';

export interface HostPort {
  host: string;
  port: number;
}

export interface WorkflowSettings {
  claimTimeoutMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  streamMaxLen: number;
}

export type RedisTopology =
  | { kind: 'standalone'; url: string; password?: string }
  | {
      kind: 'sentinel';
      sentinels: HostPort[];
      name: string;
      password?: string;
      sentinelPassword?: string;
      url?: string;
    }
  | { kind: 'cluster'; nodes: HostPort[]; password?: string };

export interface AcmeSettings {
  productionUrl: string;
  stagingUrl: string;
  caBundlePath?: string;
  skipChallengeVerification: boolean;
}

export interface RenewalSettings {
  thresholdDays: number;
  checkMs: number;
  retryMs: number;
}

export interface OAuthSettings {
  issuer: string;
  privateKeyPem?: string;
  accessTokenTtl: number;
  refreshTokenTtl: number;
  refreshGrace: number;
  codeTtl: number;
  sessionTtl: number;
  consentTtl: number;
  scopes: string[];
  allowedUsers: '*' | string[];
  registrationRateLimit: number;
  unusedClientTtl: number;
  cimdAllowPrivate: boolean;
  /** DNS servers for document hosts; empty: the system resolver. */
  cimdDnsServers: string[];
  revocationSyncMs: number;
}

export interface GithubSettings {
  clientId?: string;
  clientSecret?: string;
  baseUrl: string;
  apiUrl: string;
}

/** Typed, validated configuration. The only way code reads settings (never `process.env`). */
@Injectable()
export class AppConfig {
  readonly version: string = version;
  private reserved?: ReservedHostnames;
  private globalRateLimits?: readonly RateLimit[];

  constructor(readonly env: Environment) {}

  get adminToken(): string {
    return this.env.ADMIN_TOKEN;
  }
  get adminEmail(): string | undefined {
    return this.env.ADMIN_EMAIL;
  }
  get baseDomain(): string {
    return this.env.BASE_DOMAIN;
  }
  /** The forwarding engine for plain-HTTP backends (FORWARDING_ENGINE). */
  get forwardingEngine(): ForwardingEngineName {
    return this.env.FORWARDING_ENGINE;
  }
  get logLevel(): LogLevel {
    return this.env.LOG_LEVEL;
  }
  get httpPort(): number {
    return this.env.HTTP_PORT;
  }
  get httpsPort(): number {
    return this.env.HTTPS_PORT;
  }
  /** The HTTP port clients use (PUBLIC_HTTP_PORT, default HTTP_PORT): in published URLs. */
  get publicHttpPort(): number {
    return this.env.PUBLIC_HTTP_PORT ?? this.env.HTTP_PORT;
  }
  /** The HTTPS port clients use (PUBLIC_HTTPS_PORT, default HTTPS_PORT): in published URLs and redirects. */
  get publicHttpsPort(): number {
    return this.env.PUBLIC_HTTPS_PORT ?? this.env.HTTPS_PORT;
  }
  /** `scheme://hostname[:port]` as clients reach it: the public port, left out when it is the scheme's default. */
  publicOrigin(scheme: 'http' | 'https', hostname: string): string {
    const port = scheme === 'https' ? this.publicHttpsPort : this.publicHttpPort;
    return port === (scheme === 'https' ? 443 : 80) ? `${scheme}://${hostname}` : `${scheme}://${hostname}:${port}`;
  }
  /** HTTP load balancers whose forwarded headers are believed (FORWARDED_TRUSTED_CIDRS); empty: none. */
  get forwardedTrustedCidrs(): string[] {
    return splitList(this.env.FORWARDED_TRUSTED_CIDRS ?? '');
  }
  get forwardedHeaders(): ForwardedHeaderFormat {
    return this.env.FORWARDED_HEADERS;
  }
  get publicBind(): string {
    return this.env.PUBLIC_BIND;
  }
  /** 0 when the PROXY protocol listener is off. */
  get proxyProtocolPort(): number {
    return this.env.PROXY_PROTOCOL_PORT;
  }
  get proxyProtocolTrustedCidrs(): string[] {
    return this.env.PROXY_PROTOCOL_TRUSTED_CIDRS.split(',')
      .map((c) => c.trim())
      .filter(Boolean);
  }
  get httpProxyProtocol(): boolean {
    return this.env.HTTP_PROXY_PROTOCOL;
  }
  get httpsProxyProtocol(): boolean {
    return this.env.HTTPS_PROXY_PROTOCOL;
  }
  get publicHeadersTimeoutMs(): number {
    return this.env.PUBLIC_HEADERS_TIMEOUT_SECONDS * 1000;
  }
  get publicKeepAliveTimeoutMs(): number {
    return this.env.PUBLIC_KEEPALIVE_TIMEOUT_SECONDS * 1000;
  }
  /** How an early answer (before the body was read) drains the body before closing: byte cap and deadline. */
  get earlyResponseDrain(): { maxBytes: number; deadlineMs: number } {
    return {
      maxBytes: this.env.EARLY_RESPONSE_DRAIN_BYTES,
      deadlineMs: this.env.UNAUTHENTICATED_BODY_DEADLINE_SECONDS * 1000,
    };
  }
  /** The most body bytes read from one request to a protected MCP endpoint (MCP_INSPECT_MAX_BYTES). */
  get mcpInspectMaxBytes(): number {
    return this.env.MCP_INSPECT_MAX_BYTES;
  }
  /** RATE_LIMITS, compiled (validated at boot): the limits every proxied request counts against. */
  get rateLimits(): readonly RateLimit[] {
    this.globalRateLimits ??= parseRateLimitsSetting('RATE_LIMITS', this.env.RATE_LIMITS);
    return this.globalRateLimits;
  }
  /** The most bytes held to filter a list answer: a JSON body or one SSE event (MCP_LIST_ANSWER_MAX_BYTES). */
  get mcpListAnswerMaxBytes(): number {
    return this.env.MCP_LIST_ANSWER_MAX_BYTES;
  }
  get adminHostname(): string | undefined {
    return this.env.ADMIN_HOSTNAME;
  }
  get authHostname(): string {
    return this.env.AUTH_HOSTNAME ?? `auth.${this.env.BASE_DOMAIN}`;
  }
  /** The server's own hostnames (AUTH_HOSTNAME, ADMIN_HOSTNAME, the issuer's host): only the admin token may claim them. */
  get reservedHostnames(): ReservedHostnames {
    this.reserved ??= new ReservedHostnames([
      { hostname: this.authHostname, role: "the authorization server's hostname (AUTH_HOSTNAME)" },
      ...(this.adminHostname ? [{ hostname: this.adminHostname, role: 'the admin hostname (ADMIN_HOSTNAME)' }] : []),
      { hostname: new URL(this.oauth.issuer).hostname, role: "the OAuth issuer's hostname (OAUTH_ISSUER)" },
    ]);
    return this.reserved;
  }
  get apiPort(): number {
    return this.env.API_PORT;
  }
  get apiBind(): string {
    return this.env.API_BIND;
  }
  get apiBodyLimit(): number {
    return this.env.API_BODY_LIMIT;
  }
  /** Replicas a configuration write waits for (WAIT n 1000); 0 for none. */
  get redisWaitReplicas(): number {
    return this.env.REDIS_WAIT_REPLICAS;
  }
  get redisKeyPrefix(): string {
    return this.env.REDIS_KEY_PREFIX;
  }
  /** Server processes sharing the listeners; `WORKERS=auto` resolves to the available CPUs. 1: no cluster. */
  get workers(): number {
    return this.env.WORKERS === 'auto' ? availableParallelism() : this.env.WORKERS;
  }
  /** TLS_FALLBACK_PEM_B64 split into key and certificate chain; undefined when unset (generate one). */
  get tlsFallback(): { key: string; cert: string } | undefined {
    return this.env.TLS_FALLBACK_PEM_B64
      ? splitPemBundle(Buffer.from(this.env.TLS_FALLBACK_PEM_B64, 'base64').toString('utf8'))
      : undefined;
  }
  get configPollMs(): number {
    return this.env.CONFIG_POLL_SECONDS * 1000;
  }

  get autoCertificates(): boolean {
    return this.env.AUTO_CERTIFICATES;
  }
  get storageEncryptionKey(): string | undefined {
    return this.env.STORAGE_ENCRYPTION_KEY;
  }
  get acme(): AcmeSettings {
    return {
      productionUrl: this.env.ACME_DIRECTORY_URL,
      stagingUrl: this.env.ACME_STAGING_URL,
      caBundlePath: this.env.ACME_CA_BUNDLE,
      skipChallengeVerification: this.env.ACME_SKIP_CHALLENGE_VERIFICATION,
    };
  }
  get renewal(): RenewalSettings {
    return {
      thresholdDays: this.env.RENEWAL_THRESHOLD_DAYS,
      checkMs: this.env.RENEWAL_CHECK_SECONDS * 1000,
      retryMs: this.env.RENEWAL_RETRY_SECONDS * 1000,
    };
  }
  get workflow(): WorkflowSettings {
    return {
      claimTimeoutMs: this.env.WORKFLOW_CLAIM_TIMEOUT_MS,
      maxAttempts: this.env.WORKFLOW_MAX_ATTEMPTS,
      retryBaseMs: this.env.WORKFLOW_RETRY_BASE_MS,
      streamMaxLen: this.env.WORKFLOW_STREAM_MAXLEN,
    };
  }
  /** Docker Engine connection: a socket path or a TCP/HTTP(S) address. */
  get docker(): DockerEndpoint {
    const host = this.env.DOCKER_HOST;
    if (!host)
      return {
        kind: 'socket',
        socketPath: this.env.DOCKER_SOCKET_PATH,
        display: `unix://${this.env.DOCKER_SOCKET_PATH}`,
      };
    if (host.startsWith('unix://')) return { kind: 'socket', socketPath: host.slice('unix://'.length), display: host };
    const url = new URL(host.replace(/^tcp:/, 'http:'));
    const protocol = url.protocol === 'https:' ? 'https' : 'http';
    return {
      kind: 'tcp',
      protocol,
      host: url.hostname,
      port: Number(url.port || (protocol === 'https' ? 2376 : 2375)),
      display: host,
    };
  }
  get dockerImageAllowlist(): string[] {
    return splitList(this.env.DOCKER_IMAGE_ALLOWLIST ?? '');
  }
  get dockerNetwork(): string | undefined {
    return this.env.DOCKER_NETWORK;
  }
  get dockerReconcileMs(): number {
    return this.env.DOCKER_RECONCILE_SECONDS * 1000;
  }
  get portRanges(): { internal: PortRange; exposed: PortRange } {
    return { internal: parseRange(this.env.PORTS_INTERNAL_RANGE), exposed: parseRange(this.env.PORTS_EXPOSED_RANGE) };
  }
  /** PORTS_RESERVED plus the server's own listener ports. */
  get reservedPorts(): number[] {
    const listed = splitList(this.env.PORTS_RESERVED).map(Number);
    return [...new Set([...listed, this.apiPort, this.httpPort, this.httpsPort])]
      .filter((p) => p > 0)
      .sort((a, b) => a - b);
  }
  get logRetentionMs(): number {
    return this.env.LOG_RETENTION_HOURS * 3_600_000;
  }
  get logMaxEntries(): number {
    return this.env.LOG_MAX_ENTRIES;
  }
  get logBufferEntries(): number {
    return this.env.LOG_BUFFER_ENTRIES;
  }
  get metricsToken(): string | undefined {
    return this.env.METRICS_TOKEN;
  }

  get oauth(): OAuthSettings {
    const env = this.env;
    const allowed = (env.OAUTH_ALLOWED_GITHUB_USERS ?? '').trim();
    return {
      // PUBLIC_HTTPS_PORT only when set: the default issuer has never carried HTTPS_PORT.
      issuer:
        env.OAUTH_ISSUER ??
        (env.PUBLIC_HTTPS_PORT !== undefined
          ? this.publicOrigin('https', this.authHostname)
          : `https://${this.authHostname}`),
      privateKeyPem: env.OAUTH_JWT_PRIVATE_KEY_B64
        ? Buffer.from(env.OAUTH_JWT_PRIVATE_KEY_B64, 'base64').toString('utf8')
        : undefined,
      accessTokenTtl: env.OAUTH_ACCESS_TOKEN_TTL_SECONDS,
      refreshTokenTtl: env.OAUTH_REFRESH_TOKEN_TTL_SECONDS,
      refreshGrace: env.OAUTH_REFRESH_GRACE_SECONDS,
      codeTtl: env.OAUTH_CODE_TTL_SECONDS,
      sessionTtl: env.OAUTH_SESSION_TTL_SECONDS,
      consentTtl: env.OAUTH_CONSENT_TTL_SECONDS,
      scopes: env.OAUTH_SCOPES.split(/[ ,]+/).filter(Boolean),
      allowedUsers:
        allowed === '*'
          ? '*'
          : allowed
              .split(',')
              .map((u) => u.trim().toLowerCase())
              .filter(Boolean),
      registrationRateLimit: env.OAUTH_REGISTRATION_RATE_LIMIT,
      unusedClientTtl: env.OAUTH_UNUSED_CLIENT_TTL_SECONDS,
      cimdAllowPrivate: env.OAUTH_CIMD_ALLOW_PRIVATE === 'true' || env.OAUTH_CIMD_ALLOW_PRIVATE === '1',
      cimdDnsServers: (env.OAUTH_CIMD_DNS_SERVERS ?? '')
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean),
      revocationSyncMs: env.OAUTH_REVOCATION_SYNC_SECONDS * 1000,
    };
  }

  get github(): GithubSettings {
    return {
      clientId: this.env.GITHUB_CLIENT_ID,
      clientSecret: this.env.GITHUB_CLIENT_SECRET,
      baseUrl: this.env.GITHUB_BASE_URL.replace(/\/+$/, ''),
      apiUrl: this.env.GITHUB_API_URL.replace(/\/+$/, ''),
    };
  }

  get redis(): RedisTopology {
    const password = this.env.REDIS_PASSWORD;
    if (this.env.REDIS_CLUSTER_NODES) {
      return { kind: 'cluster', nodes: parseHostPorts(this.env.REDIS_CLUSTER_NODES), password };
    }
    if (this.env.REDIS_SENTINELS) {
      return {
        kind: 'sentinel',
        sentinels: parseHostPorts(this.env.REDIS_SENTINELS),
        name: this.env.REDIS_SENTINEL_NAME ?? '',
        password,
        sentinelPassword: this.env.REDIS_SENTINEL_PASSWORD,
        url: this.env.REDIS_URL,
      };
    }
    return { kind: 'standalone', url: this.env.REDIS_URL ?? 'redis://127.0.0.1:6379', password };
  }
}

export interface PortRange {
  first: number;
  last: number;
}

export type DockerEndpoint =
  | { kind: 'socket'; socketPath: string; display: string }
  | { kind: 'tcp'; protocol: 'http' | 'https'; host: string; port: number; display: string };

function splitList(list: string): string[] {
  return list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

function parseRange(range: string): PortRange {
  const [first, last] = range.split('-').map((p) => Number(p.trim()));
  return { first, last };
}

function parseHostPorts(list: string): HostPort[] {
  return list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const at = entry.lastIndexOf(':');
      return { host: entry.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(entry.slice(at + 1)) };
    });
}
