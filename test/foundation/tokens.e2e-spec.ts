import { ServerProcess } from '../support/server-process';
import { scanKeys, testRedisClient, TestRedisClient } from '../support/test-redis';

interface TokenBody {
  name: string;
  token?: string;
  cert_email: string | null;
  created_at: string;
  owned?: Record<string, number>;
}

/** What a key holds: a string's value, a set's members, a hash's values. */
async function storedValues(redis: TestRedisClient, key: string, type: string): Promise<(string | null)[]> {
  if (type === 'string') return [await redis.get(key)];
  if (type === 'set') return redis.smembers(key);
  if (type === 'hash') return Object.values(await redis.hgetall(key));
  return [];
}

describe('API tokens (/api/v1/tokens)', () => {
  let server: ServerProcess;
  let redis: TestRedisClient;

  beforeAll(async () => {
    server = await ServerProcess.start();
    redis = testRedisClient();
  });
  afterAll(async () => {
    await server.stop();
    redis.disconnect();
  });

  it('creates a token shown once, stores only its hash, and authenticates with it', async () => {
    const created = await server.api<TokenBody>('POST', '/api/v1/tokens', {
      body: { name: 'alice', cert_email: 'alice@example.test' },
    });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^acm_[A-Za-z0-9_-]{43}$/);
    const secret = created.body.token!;

    // Nothing stored under this server's prefix contains the plaintext.
    const keys = await scanKeys(redis, `{${server.keyPrefix}}:*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      const type = await redis.type(key);
      const values = await storedValues(redis, key, type);
      for (const value of values) expect(value).not.toContain(secret);
    }

    const shown = await server.api<TokenBody>('GET', '/api/v1/tokens/alice');
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual({
      name: 'alice',
      cert_email: 'alice@example.test',
      created_at: created.body.created_at,
      rotated_at: null,
      owned: { certificates: 0, ports: 0, services: 0, proxy_targets: 0, routes: 0, instances: 0, resources: 0 },
    });
    expect(shown.text).not.toContain(secret);

    const me = await server.api('GET', '/api/v1/tokens/me', { token: secret });
    expect(me).toMatchObject({
      status: 200,
      body: { name: 'alice', is_admin: false, cert_email: 'alice@example.test' },
    });

    const email = await server.api('PUT', '/api/v1/tokens/me/email', {
      token: secret,
      body: { cert_email: 'new@example.test' },
    });
    expect(email).toMatchObject({ status: 200, body: { name: 'alice', cert_email: 'new@example.test' } });

    const list = await server.api<TokenBody[]>('GET', '/api/v1/tokens');
    expect(list.status).toBe(200);
    expect(list.body.map((t) => t.name)).toEqual(['alice']);
    expect(list.text).not.toContain('acm_');
  });

  it('refuses duplicate names with 409 and reserved or malformed names with 400', async () => {
    await server.api('POST', '/api/v1/tokens', { body: { name: 'dup' } });
    const again = await server.api<{ message: string }>('POST', '/api/v1/tokens', { body: { name: 'dup' } });
    expect(again.status).toBe(409);
    expect(again.body.message).toBe('a token named "dup" already exists');
    expect((await server.api('POST', '/api/v1/tokens', { body: { name: 'admin' } })).status).toBe(400);
    const bad = await server.api<{ message: string }>('POST', '/api/v1/tokens', { body: { name: 'has space' } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^name must be/);
  });

  it('answers 401 with WWW-Authenticate for missing or wrong tokens, 403 for non-admins', async () => {
    const missing = await server.api<{ statusCode: number; error: string; message: string; requestId: string }>(
      'GET',
      '/api/v1/tokens',
      { token: null },
    );
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    expect(missing.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: expect.stringContaining('missing bearer token'),
      requestId: expect.any(String),
    });
    expect(missing.headers.get('x-request-id')).toBe(missing.body.requestId);

    const wrong = await server.api('GET', '/api/v1/tokens', { token: 'acm_not-a-real-token' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="api", error="invalid_token"');

    const bob = await server.api<TokenBody>('POST', '/api/v1/tokens', { body: { name: 'bob' } });
    const forbidden = await server.api<{ message: string }>('GET', '/api/v1/tokens', { token: bob.body.token });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.message).toBe('this operation needs the admin token');
    expect((await server.api('DELETE', '/api/v1/tokens/alice', { token: bob.body.token })).status).toBe(403);
  });

  it('rotates: the old value stops working, the new one works', async () => {
    const carol = await server.api<TokenBody>('POST', '/api/v1/tokens', { body: { name: 'carol' } });
    const rotated = await server.api<TokenBody>('POST', '/api/v1/tokens/carol/rotate');
    expect(rotated.status).toBe(200);
    expect(rotated.body.token).toMatch(/^acm_/);
    expect(rotated.body.token).not.toBe(carol.body.token);
    expect((await server.api('GET', '/api/v1/tokens/me', { token: carol.body.token })).status).toBe(401);
    expect((await server.api('GET', '/api/v1/tokens/me', { token: rotated.body.token })).status).toBe(200);
  });

  it('deletes a token, which then no longer authenticates', async () => {
    const dave = await server.api<TokenBody>('POST', '/api/v1/tokens', { body: { name: 'dave' } });
    const deleted = await server.api('DELETE', '/api/v1/tokens/dave');
    expect(deleted).toMatchObject({ status: 200, body: { name: 'dave', deleted: {} } });
    expect((await server.api('GET', '/api/v1/tokens/me', { token: dave.body.token })).status).toBe(401);
    expect((await server.api('GET', '/api/v1/tokens/dave')).status).toBe(404);
    expect((await server.api('DELETE', '/api/v1/tokens/dave')).status).toBe(404);
  });

  it('validates input: unknown field, malformed JSON, oversized body, trailing slash', async () => {
    const unknown = await server.api<{ message: string }>('POST', '/api/v1/tokens', {
      body: { name: 'erin', colour: 'red' },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toBe('property colour should not exist');

    const malformed = await server.api<{ statusCode: number; message: string }>('POST', '/api/v1/tokens', {
      body: '{"name": ',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.statusCode).toBe(400);
    expect(malformed.body.message).toMatch(/JSON/);

    const huge = await server.api('POST', '/api/v1/tokens', {
      body: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(huge.status).toBe(413);

    const slash = await server.api('GET', '/api/v1/tokens/');
    expect(slash.status).toBe(200);
    expect(slash.headers.get('location')).toBeNull();
  });

  it('admin describes itself from the environment', async () => {
    expect(await server.api('GET', '/api/v1/tokens/me')).toMatchObject({
      status: 200,
      body: { name: 'ADMIN', is_admin: true },
    });
    const refused = await server.api<{ message: string }>('PUT', '/api/v1/tokens/me/email', {
      body: { cert_email: 'a@b.test' },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/ADMIN_EMAIL/);
  });
});
