import { createHash, randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { form, registerClient, RESOURCE_A, startOAuthServer } from '../oauth/oauth-fixture';
import { GithubStandin } from '../support/github-standin';
import { OAuthBrowser } from '../support/oauth-browser';
import { ServerProcess } from '../support/server-process';
import { primaries, TestRedisClient, testRedisClient } from '../support/test-redis';

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/** Every key of `prefix` with everything it holds (each type read in full), on every master. */
async function dumpPrefix(redis: TestRedisClient, prefix: string): Promise<{ key: string; content: string }[]> {
  const nodes = redis instanceof Cluster ? await primaries(redis) : [redis];
  const out: { key: string; content: string }[] = [];
  for (const node of nodes) {
    let cursor = '0';
    for (let round = 0; round < 10_000; round++) {
      const [next, keys] = await node.scan(cursor, 'MATCH', `{${prefix}}:*`, 'COUNT', 500);
      for (const key of keys) {
        const type = await node.type(key);
        let content: unknown;
        if (type === 'string') content = await node.get(key);
        else if (type === 'hash') content = await node.hgetall(key);
        else if (type === 'set') content = await node.smembers(key);
        else if (type === 'zset') content = await node.zrange(key, 0, -1, 'WITHSCORES');
        else if (type === 'list') content = await node.lrange(key, 0, -1);
        else if (type === 'stream') content = await node.xrange(key, '-', '+');
        else if (type !== 'none') throw new Error(`key ${key} has type ${type}, which this test cannot read`);
        out.push({ key, content: JSON.stringify(content) });
      }
      cursor = next;
      if (cursor === '0') break;
    }
  }
  return out;
}

/**
 * Class 10 of the security review: after a full register → GitHub login → consent → token →
 * refresh flow, no credential the flow handed out is readable in Redis, in key names or values.
 */
describe('Secrets at rest', () => {
  let github: GithubStandin;
  let server: ServerProcess;

  beforeAll(async () => {
    github = await GithubStandin.start();
    github.signIn('alice');
    server = await startOAuthServer(github);
  });
  afterAll(async () => {
    await server?.stop();
    await github?.stop();
  });

  async function dump(): Promise<{ key: string; content: string }[]> {
    const redis = testRedisClient();
    try {
      return await dumpPrefix(redis, server.keyPrefix);
    } finally {
      redis.disconnect();
    }
  }

  it('keeps a pending sign-in under the hash of the flow cookie, not the cookie value', async () => {
    const redirect = 'http://127.0.0.1:47012/callback';
    const client = await registerClient(server, { redirect_uris: [redirect], token_endpoint_auth_method: 'none' });
    const authorize = new URL(`${server.apiUrl}/authorize`);
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: redirect,
      code_challenge: s256(randomBytes(32).toString('base64url')),
      code_challenge_method: 'S256',
    }))
      authorize.searchParams.set(k, v);
    const start = await fetch(authorize, { redirect: 'manual' });
    expect(start.status).toBe(302);
    const flowCookie = start.headers.getSetCookie()[0]?.split(';')[0].split('=').slice(1).join('=');
    expect(flowCookie).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const stored = await dump();
    expect(stored.some(({ key }) => key.includes(':oauth:authorize:'))).toBe(true);
    expect(
      stored
        .filter(({ key, content }) => key.includes(flowCookie!) || content.includes(flowCookie!))
        .map(({ key }) => key),
    ).toEqual([]);
  });

  it('stores no cookie value, code, token, client secret, verifier or GitHub token in clear', async () => {
    const redirect = 'http://127.0.0.1:47010/callback';
    const client = await registerClient(server, {
      redirect_uris: [redirect],
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['authorization_code', 'refresh_token'],
    });
    const cookieValues: string[] = [];
    // Records every cookie value the authorization server set (the flow cookie is cleared later).
    const recording: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      for (const line of res.headers.getSetCookie()) {
        const value = line.split(';')[0].split('=').slice(1).join('=');
        if (value) cookieValues.push(value);
      }
      return res;
    };
    const verifier = randomBytes(32).toString('base64url');
    const authorize = new URL(`${server.apiUrl}/authorize`);
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: redirect,
      code_challenge: s256(verifier),
      code_challenge_method: 'S256',
      state: 'st',
      resource: RESOURCE_A,
    }))
      authorize.searchParams.set(k, v);
    const flow = await new OAuthBrowser({ fetch: recording }).authorize(authorize, redirect);
    const code = flow.callback?.searchParams.get('code');
    expect(code).toMatch(/^ac_/);
    const tokens = await form(`${server.apiUrl}/token`, {
      grant_type: 'authorization_code',
      client_id: client.client_id,
      client_secret: client.client_secret,
      code: code!,
      code_verifier: verifier,
      redirect_uri: redirect,
      resource: RESOURCE_A,
    });
    expect(tokens.status).toBe(200);
    const refreshed = await form(`${server.apiUrl}/token`, {
      grant_type: 'refresh_token',
      client_id: client.client_id,
      client_secret: client.client_secret,
      refresh_token: tokens.body.refresh_token as string,
    });
    expect(refreshed.status).toBe(200);
    expect(cookieValues.length).toBeGreaterThanOrEqual(2); // the flow cookie and the session cookie
    expect(github.issuedTokens).toHaveLength(1);

    const secrets: Record<string, string> = {
      'client secret': client.client_secret,
      'registration access token': client.registration_access_token,
      'PKCE verifier': verifier,
      'authorization code': code!,
      'access token': tokens.body.access_token as string,
      'refresh token': tokens.body.refresh_token as string,
      'refreshed access token': refreshed.body.access_token as string,
      'refreshed refresh token': refreshed.body.refresh_token as string,
      'GitHub access token': github.issuedTokens[0],
      ...Object.fromEntries(cookieValues.map((v, i) => [`AS cookie value #${i + 1}`, v])),
    };
    expect(
      Object.entries(secrets)
        .filter(([, value]) => typeof value !== 'string' || value.length < 16)
        .map(([name]) => name),
    ).toEqual([]);

    const stored = await dump();
    expect(stored.length).toBeGreaterThan(5);
    const found: string[] = [];
    for (const [name, value] of Object.entries(secrets)) {
      for (const { key, content } of stored) {
        if (key.includes(value)) found.push(`${name} in the key name ${key}`);
        if (content.includes(value)) found.push(`${name} in the value of ${key}`);
      }
    }
    expect(found).toEqual([]);
  });
});
