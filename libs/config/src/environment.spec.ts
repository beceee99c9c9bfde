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
    expect(env).toMatchObject({ HTTP_PORT: 80, HTTPS_PORT: 443, API_PORT: 9000, API_BIND: '127.0.0.1', REDIS_KEY_PREFIX: 'proxy', LOG_LEVEL: 'info' });
  });

  it('accepts redis and rediss URLs with passwords and upper-case log levels', () => {
    const env = parseEnvironment({ ...base, REDIS_URL: 'rediss://:s3cret@redis.internal:6380/2', LOG_LEVEL: 'DEBUG', HTTP_PORT: '8080' });
    expect(env.REDIS_URL).toBe('rediss://:s3cret@redis.internal:6380/2');
    expect(env.LOG_LEVEL).toBe('debug');
    expect(env.HTTP_PORT).toBe(8080);
  });

  it('names REDIS_URL when it is not a redis URL', () => {
    expect(problem({ ...base, REDIS_URL: 'not-a-url' })).toMatch(/^REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL.*got "not-a-url"/);
  });

  it('names a missing ADMIN_TOKEN without echoing secrets', () => {
    expect(problem({})).toMatch(/^ADMIN_TOKEN is required/);
    expect(problem({ ADMIN_TOKEN: 'short' })).toBe('ADMIN_TOKEN must be at least 16 characters');
  });

  it('rejects bad ports and levels with the variable name', () => {
    expect(problem({ ...base, API_PORT: '70000' })).toMatch(/^API_PORT /);
    expect(problem({ ...base, HTTP_PORT: 'eighty' })).toMatch(/^HTTP_PORT must be a port number/);
    expect(problem({ ...base, LOG_LEVEL: 'loud' })).toMatch(/^LOG_LEVEL must be one of/);
  });

  it('requires a sentinel name with sentinels and refuses two topologies', () => {
    expect(problem({ ...base, REDIS_SENTINELS: '127.0.0.1:26379' })).toMatch(/^REDIS_SENTINEL_NAME is required/);
    expect(problem({ ...base, REDIS_SENTINELS: '127.0.0.1:26379', REDIS_SENTINEL_NAME: 'mymaster', REDIS_CLUSTER_NODES: '127.0.0.1:7000' })).toMatch(/^REDIS_CLUSTER_NODES cannot be combined/);
  });

  it('treats empty variables as unset', () => {
    expect(parseEnvironment({ ...base, REDIS_KEY_PREFIX: '', HTTP_PORT: ' ' }).REDIS_KEY_PREFIX).toBe('proxy');
  });

  it('checks the OAuth signing key and issuer', () => {
    expect(problem({ ...base, OAUTH_JWT_PRIVATE_KEY_B64: Buffer.from('not a key').toString('base64') })).toBe('OAUTH_JWT_PRIVATE_KEY_B64 must be a base64-encoded PEM RSA private key (npm start generates one)');
    expect(problem({ ...base, OAUTH_ISSUER: 'https://auth.example.com/' })).toMatch(/^OAUTH_ISSUER must be an http\(s\) URL without query, fragment or trailing slash/);
    expect(problem({ ...base, OAUTH_ALLOWED_GITHUB_USERS: 'alice; bob' })).toMatch(/^OAUTH_ALLOWED_GITHUB_USERS must be "\*" or a comma-separated list/);
  });
});
