import { availableParallelism } from 'node:os';
import { generateFallbackCertificate } from '@app/dispatcher/fallback-certificate';
import { AppConfig } from './app-config';
import { ConfigError, parseEnvironment } from './environment';

const base = { ADMIN_TOKEN: 'acm_0123456789abcdef0123' };

function problem(raw: Record<string, string>): string {
  try {
    parseEnvironment(raw);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseEnvironment', () => {
  it('applies the documented defaults', () => {
    const env = parseEnvironment(base);
    expect(env).toMatchObject({
      HTTP_PORT: 80,
      HTTPS_PORT: 443,
      API_PORT: 9000,
      API_BIND: '127.0.0.1',
      REDIS_KEY_PREFIX: 'proxy',
      LOG_LEVEL: 'info',
    });
    expect(env).toMatchObject({ LOG_RETENTION_HOURS: 24, LOG_MAX_ENTRIES: 1_000_000, LOG_BUFFER_ENTRIES: 10_000 });
    expect(env.METRICS_TOKEN).toBeUndefined();
  });

  it('accepts redis and rediss URLs with passwords and upper-case log levels', () => {
    const env = parseEnvironment({
      ...base,
      REDIS_URL: 'rediss://:s3cret@redis.internal:6380/2',
      LOG_LEVEL: 'DEBUG',
      HTTP_PORT: '8080',
    });
    expect(env.REDIS_URL).toBe('rediss://:s3cret@redis.internal:6380/2');
    expect(env.LOG_LEVEL).toBe('debug');
    expect(env.HTTP_PORT).toBe(8080);
  });

  it('reads the public listener settings', () => {
    const env = parseEnvironment({
      ...base,
      PROXY_PROTOCOL_TRUSTED_CIDRS: '10.0.0.0/8, ::1/128',
      HTTP_PROXY_PROTOCOL: 'yes',
      ADMIN_HOSTNAME: 'Admin.Example.com',
    });
    expect(env).toMatchObject({
      PROXY_PROTOCOL_PORT: 10001,
      PUBLIC_BIND: '0.0.0.0',
      HTTP_PROXY_PROTOCOL: true,
      HTTPS_PROXY_PROTOCOL: false,
      ADMIN_HOSTNAME: 'admin.example.com',
    });
    expect(problem({ ...base, PROXY_PROTOCOL_TRUSTED_CIDRS: '10.0.0.0/33' })).toBe(
      'PROXY_PROTOCOL_TRUSTED_CIDRS contains "10.0.0.0/33", which is not a CIDR such as 10.0.0.0/8 or ::1/128',
    );
    expect(problem({ ...base, HTTPS_PROXY_PROTOCOL: 'maybe' })).toBe(
      'HTTPS_PROXY_PROTOCOL must be true or false (got "maybe")',
    );
    expect(problem({ ...base, ADMIN_HOSTNAME: 'http://admin' })).toMatch(/^ADMIN_HOSTNAME must be a DNS name/);
  });

  it('reads the public timeouts and the early-answer drain, and names bad values', () => {
    const config = new AppConfig(parseEnvironment(base));
    expect([config.publicHeadersTimeoutMs, config.publicKeepAliveTimeoutMs]).toEqual([30_000, 5_000]);
    expect(config.earlyResponseDrain).toEqual({ maxBytes: 4 * 1024 * 1024, deadlineMs: 10_000 });
    const custom = new AppConfig(
      parseEnvironment({
        ...base,
        PUBLIC_HEADERS_TIMEOUT_SECONDS: '2',
        PUBLIC_KEEPALIVE_TIMEOUT_SECONDS: '1',
        UNAUTHENTICATED_BODY_DEADLINE_SECONDS: '3',
        EARLY_RESPONSE_DRAIN_BYTES: '0',
      }),
    );
    expect([custom.publicHeadersTimeoutMs, custom.publicKeepAliveTimeoutMs, custom.earlyResponseDrain]).toEqual([
      2_000,
      1_000,
      { maxBytes: 0, deadlineMs: 3_000 },
    ]);
    expect(problem({ ...base, PUBLIC_HEADERS_TIMEOUT_SECONDS: '0' })).toMatch(/^PUBLIC_HEADERS_TIMEOUT_SECONDS /);
    expect(problem({ ...base, PUBLIC_KEEPALIVE_TIMEOUT_SECONDS: 'soon' })).toMatch(
      /^PUBLIC_KEEPALIVE_TIMEOUT_SECONDS must be a whole number of seconds/,
    );
    expect(problem({ ...base, UNAUTHENTICATED_BODY_DEADLINE_SECONDS: '301' })).toMatch(
      /^UNAUTHENTICATED_BODY_DEADLINE_SECONDS /,
    );
    expect(problem({ ...base, EARLY_RESPONSE_DRAIN_BYTES: '-1' })).toMatch(/^EARLY_RESPONSE_DRAIN_BYTES /);
  });

  it('reads the MCP inspection bound (default 1 MiB) and names a bad one', () => {
    expect(new AppConfig(parseEnvironment(base)).mcpInspectMaxBytes).toBe(1024 * 1024);
    expect(new AppConfig(parseEnvironment({ ...base, MCP_INSPECT_MAX_BYTES: '4096' })).mcpInspectMaxBytes).toBe(4096);
    expect(problem({ ...base, MCP_INSPECT_MAX_BYTES: '10' })).toMatch(/^MCP_INSPECT_MAX_BYTES /);
    expect(problem({ ...base, MCP_INSPECT_MAX_BYTES: 'a lot' })).toMatch(
      /^MCP_INSPECT_MAX_BYTES must be a number of bytes/,
    );
  });

  it('reads RATE_LIMITS (none by default) and stops the start with what to fix', () => {
    expect(new AppConfig(parseEnvironment(base)).rateLimits).toEqual([]);
    const set = new AppConfig(
      parseEnvironment({ ...base, RATE_LIMITS: '[{"per":"address","limit":600,"window":"1m"}]' }),
    );
    expect(set.rateLimits).toEqual([{ per: 'address', limit: 600, windowMs: 60_000, label: '600/1m per address' }]);
    expect(problem({ ...base, RATE_LIMITS: 'per user 60' })).toBe(
      'RATE_LIMITS must be a JSON array such as [{"per":"user","limit":600,"window":"1m"}]',
    );
    expect(problem({ ...base, RATE_LIMITS: '[{"per":"team","limit":0,"window":"1m"}]' })).toBe(
      'RATE_LIMITS is invalid: RATE_LIMITS[0]: per must be one of user, client, address; RATE_LIMITS[0]: limit must be a whole number from 1 to 1000000',
    );
  });

  it('reads the list answer bound (default 8 MiB) and names a bad one', () => {
    expect(new AppConfig(parseEnvironment(base)).mcpListAnswerMaxBytes).toBe(8 * 1024 * 1024);
    const set = new AppConfig(parseEnvironment({ ...base, MCP_LIST_ANSWER_MAX_BYTES: '2048' }));
    expect(set.mcpListAnswerMaxBytes).toBe(2048);
    expect(problem({ ...base, MCP_LIST_ANSWER_MAX_BYTES: '10' })).toMatch(/^MCP_LIST_ANSWER_MAX_BYTES /);
  });

  it('reads public ports and trusted forwarded headers (defaults: the listener ports, nobody trusted)', () => {
    const plain = new AppConfig(parseEnvironment({ ...base, HTTP_PORT: '8080', HTTPS_PORT: '8443' }));
    expect([plain.publicHttpPort, plain.publicHttpsPort, plain.forwardedTrustedCidrs, plain.forwardedHeaders]).toEqual([
      8080,
      8443,
      [],
      'x-forwarded',
    ]);
    expect([plain.publicOrigin('https', 'a.test'), plain.publicOrigin('http', 'a.test'), plain.oauth.issuer]).toEqual([
      'https://a.test:8443',
      'http://a.test:8080',
      'https://auth.localhost',
    ]);
    const mapped = new AppConfig(
      parseEnvironment({
        ...base,
        HTTP_PORT: '8080',
        HTTPS_PORT: '8443',
        PUBLIC_HTTP_PORT: '80',
        PUBLIC_HTTPS_PORT: '4443',
        FORWARDED_TRUSTED_CIDRS: '10.0.0.0/8, ::1/128',
        FORWARDED_HEADERS: 'Forwarded',
      }),
    );
    expect([
      mapped.publicOrigin('https', 'a.test'),
      mapped.publicOrigin('http', 'a.test'),
      mapped.oauth.issuer,
    ]).toEqual(['https://a.test:4443', 'http://a.test', 'https://auth.localhost:4443']);
    expect([mapped.forwardedTrustedCidrs, mapped.forwardedHeaders]).toEqual([['10.0.0.0/8', '::1/128'], 'forwarded']);
    expect(problem({ ...base, FORWARDED_TRUSTED_CIDRS: '10.0.0.0/8,1.2.3.4' })).toMatch(
      /^FORWARDED_TRUSTED_CIDRS must be a comma-separated list of CIDRs/,
    );
    expect(problem({ ...base, FORWARDED_TRUSTED_CIDRS: '::1/129' })).toBe(
      'FORWARDED_TRUSTED_CIDRS contains "::1/129", which is not a CIDR such as 10.0.0.0/8 or ::1/128',
    );
    expect(problem({ ...base, FORWARDED_HEADERS: 'x-real-ip' })).toBe(
      'FORWARDED_HEADERS must be one of x-forwarded, forwarded (got "x-real-ip")',
    );
    expect(problem({ ...base, PUBLIC_HTTPS_PORT: '0' })).toMatch(/^PUBLIC_HTTPS_PORT /);
  });

  it('names REDIS_URL when it is not a redis URL', () => {
    expect(problem({ ...base, REDIS_URL: 'not-a-url' })).toMatch(
      /^REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL.*got "not-a-url"/,
    );
  });

  it('names a missing ADMIN_TOKEN without echoing secrets', () => {
    expect(problem({})).toMatch(/^ADMIN_TOKEN is required/);
    expect(problem({ ADMIN_TOKEN: 'short' })).toBe('ADMIN_TOKEN must be at least 16 characters');
  });

  it('refuses an ADMIN_TOKEN or METRICS_TOKEN that could not be sent as a bearer token (RFC 6750 b64token)', () => {
    const message = 'must be usable as a bearer token: letters, digits, - . _ ~ + / and trailing =';
    expect(problem({ ADMIN_TOKEN: 'acm_0123456789abcdef!' })).toBe(`ADMIN_TOKEN ${message}`);
    expect(problem({ ADMIN_TOKEN: 'acm_0123456789 abcdef' })).toBe(`ADMIN_TOKEN ${message}`);
    expect(problem({ ...base, METRICS_TOKEN: 'metrics:0123456789abcdef' })).toBe(`METRICS_TOKEN ${message}`);
    expect(() => parseEnvironment({ ADMIN_TOKEN: 'acm_0123456789+/abcdef==' })).not.toThrow();
  });

  it('rejects bad ports and levels with the variable name', () => {
    expect(problem({ ...base, API_PORT: '70000' })).toMatch(/^API_PORT /);
    expect(problem({ ...base, HTTP_PORT: 'eighty' })).toMatch(/^HTTP_PORT must be a port number/);
    expect(problem({ ...base, LOG_LEVEL: 'loud' })).toMatch(/^LOG_LEVEL must be one of/);
  });

  it('reads FORWARDING_ENGINE (default http1) and names a bad one', () => {
    expect(parseEnvironment(base).FORWARDING_ENGINE).toBe('http1');
    expect(parseEnvironment({ ...base, FORWARDING_ENGINE: 'Undici' }).FORWARDING_ENGINE).toBe('undici');
    expect(problem({ ...base, FORWARDING_ENGINE: 'curl' })).toMatch(
      /^FORWARDING_ENGINE must be one of http1, undici, node/,
    );
  });

  it('requires a sentinel name with sentinels and refuses two topologies', () => {
    expect(problem({ ...base, REDIS_SENTINELS: '127.0.0.1:26379' })).toMatch(/^REDIS_SENTINEL_NAME is required/);
    expect(
      problem({
        ...base,
        REDIS_SENTINELS: '127.0.0.1:26379',
        REDIS_SENTINEL_NAME: 'mymaster',
        REDIS_CLUSTER_NODES: '127.0.0.1:7000',
      }),
    ).toMatch(/^REDIS_CLUSTER_NODES cannot be combined/);
  });

  it('names bad request-log and metrics settings', () => {
    expect(problem({ ...base, LOG_RETENTION_HOURS: '0' })).toMatch(/^LOG_RETENTION_HOURS /);
    expect(problem({ ...base, LOG_RETENTION_HOURS: 'a day' })).toMatch(
      /^LOG_RETENTION_HOURS must be a whole number of hours/,
    );
    expect(problem({ ...base, LOG_BUFFER_ENTRIES: '0' })).toMatch(/^LOG_BUFFER_ENTRIES /);
    expect(problem({ ...base, METRICS_TOKEN: 'short' })).toBe('METRICS_TOKEN must be at least 16 characters');
  });

  it('treats empty variables as unset', () => {
    expect(parseEnvironment({ ...base, REDIS_KEY_PREFIX: '', HTTP_PORT: ' ' }).REDIS_KEY_PREFIX).toBe('proxy');
  });

  it('reads the Docker endpoint, allowlist and port ranges', () => {
    expect(new AppConfig(parseEnvironment(base)).docker).toEqual({
      kind: 'socket',
      socketPath: '/var/run/docker.sock',
      display: 'unix:///var/run/docker.sock',
    });
    expect(
      new AppConfig(parseEnvironment({ ...base, DOCKER_HOST: 'unix:///run/user/1000/docker.sock' })).docker,
    ).toMatchObject({ kind: 'socket', socketPath: '/run/user/1000/docker.sock' });
    expect(new AppConfig(parseEnvironment({ ...base, DOCKER_HOST: 'tcp://10.0.0.5:2375' })).docker).toEqual({
      kind: 'tcp',
      protocol: 'http',
      host: '10.0.0.5',
      port: 2375,
      display: 'tcp://10.0.0.5:2375',
    });
    const config = new AppConfig(
      parseEnvironment({ ...base, DOCKER_IMAGE_ALLOWLIST: 'busybox:*, ghcr.io/acme/*', API_PORT: '9500' }),
    );
    expect(config.dockerImageAllowlist).toEqual(['busybox:*', 'ghcr.io/acme/*']);
    expect(new AppConfig(parseEnvironment(base)).dockerImageAllowlist).toEqual([]);
    expect(config.portRanges).toEqual({
      internal: { first: 9000, last: 10999 },
      exposed: { first: 11000, last: 19999 },
    });
    expect(config.reservedPorts).toEqual([22, 25, 53, 80, 443, 3306, 5432, 6379, 9500, 27017]);
  });

  it('names bad Docker and port settings', () => {
    expect(problem({ ...base, DOCKER_HOST: 'docker.example.com' })).toMatch(/^DOCKER_HOST must be unix:\/\/\/path/);
    expect(problem({ ...base, PORTS_INTERNAL_RANGE: '9000' })).toMatch(/^PORTS_INTERNAL_RANGE must be a port range/);
    expect(problem({ ...base, PORTS_EXPOSED_RANGE: '20000-11000' })).toBe(
      'PORTS_EXPOSED_RANGE must be first-last with 1 <= first <= last <= 65535 (got "20000-11000")',
    );
    expect(problem({ ...base, DOCKER_IMAGE_ALLOWLIST: 'busy box' })).toMatch(
      /^DOCKER_IMAGE_ALLOWLIST must be a comma-separated list/,
    );
  });

  it('checks the OAuth signing key and issuer', () => {
    expect(problem({ ...base, OAUTH_JWT_PRIVATE_KEY_B64: Buffer.from('not a key').toString('base64') })).toBe(
      'OAUTH_JWT_PRIVATE_KEY_B64 must be a base64-encoded PEM RSA private key (npm start generates one)',
    );
    expect(problem({ ...base, OAUTH_ISSUER: 'https://auth.example.com/' })).toMatch(
      /^OAUTH_ISSUER must be an http\(s\) URL without query, fragment or trailing slash/,
    );
    expect(problem({ ...base, OAUTH_ALLOWED_GITHUB_USERS: 'alice; bob' })).toMatch(
      /^OAUTH_ALLOWED_GITHUB_USERS must be "\*" or a comma-separated list/,
    );
  });

  it('reads the DNS servers for Client ID Metadata Documents', () => {
    expect(new AppConfig(parseEnvironment(base)).oauth.cimdDnsServers).toEqual([]);
    expect(
      new AppConfig(parseEnvironment({ ...base, OAUTH_CIMD_DNS_SERVERS: '10.0.0.2, 127.0.0.1:5353,[fd00::53]:53,::1' }))
        .oauth.cimdDnsServers,
    ).toEqual(['10.0.0.2', '127.0.0.1:5353', '[fd00::53]:53', '::1']);
    for (const bad of ['dns.example.com', '10.0.0.300', '10.0.0.2:0', '10.0.0.2:70000', '[10.0.0.2]:53', '1.2.3.4,']) {
      expect(problem({ ...base, OAUTH_CIMD_DNS_SERVERS: bad })).toMatch(
        /^OAUTH_CIMD_DNS_SERVERS contains ".*", which is not an IP address with an optional port/,
      );
    }
  });

  it('reads WORKERS: a positive number or auto (one per CPU), default 1', () => {
    expect(new AppConfig(parseEnvironment(base)).workers).toBe(1);
    expect(new AppConfig(parseEnvironment({ ...base, WORKERS: '3' })).workers).toBe(3);
    expect(new AppConfig(parseEnvironment({ ...base, WORKERS: ' Auto ' })).workers).toBe(availableParallelism());
    for (const bad of ['0', '-1', 'two', '1.5']) {
      expect(problem({ ...base, WORKERS: bad })).toBe(
        `WORKERS must be a positive whole number or "auto" (one worker per CPU) (got "${bad}")`,
      );
    }
    expect(problem({ ...base, WORKERS: '1000' })).toBe('WORKERS must be at most 256 (got "1000")');
  });

  it('checks TLS_FALLBACK_PEM_B64 and splits it into key and certificate', async () => {
    const { key, cert } = await generateFallbackCertificate('example.test');
    const config = new AppConfig(
      parseEnvironment({ ...base, TLS_FALLBACK_PEM_B64: Buffer.from(`${key}\n${cert}\n`).toString('base64') }),
    );
    expect(config.tlsFallback).toEqual({ key: key.trim(), cert: cert.trim() });
    expect(new AppConfig(parseEnvironment(base)).tlsFallback).toBeUndefined();
    expect(problem({ ...base, TLS_FALLBACK_PEM_B64: Buffer.from(key).toString('base64') })).toMatch(
      /^TLS_FALLBACK_PEM_B64 must be base64 of a PEM private key followed by its certificate/,
    );
  });
});
