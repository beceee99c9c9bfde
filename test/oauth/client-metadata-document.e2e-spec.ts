import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:https';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GithubStandin } from '../support/github-standin';
import { OAuthBrowser } from '../support/oauth-browser';
import { ServerProcess } from '../support/server-process';
import { form, startOAuthServer } from './oauth-fixture';
import { testRedisClient } from '../support/test-redis';

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/**
 * A client whose client_id is the https URL of its metadata document, served here on loopback with
 * a self-signed certificate that the server trusts (NODE_EXTRA_CA_CERTS). Loopback is a private
 * address: allowed only with OAUTH_CIMD_ALLOW_PRIVATE=true.
 */
describe('Client ID Metadata Documents', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cimd-'));
  let docs: Server;
  let github: GithubStandin;
  let allowing: ServerProcess;
  let refusing: ServerProcess;
  let clientId: string;
  let served: Record<string, unknown>;
  let fetches = 0;
  const redirect = 'http://127.0.0.1:47002/callback';

  beforeAll(async () => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    docs = createServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      (req, res) => {
        fetches++;
        if (req.url === '/big.json') {
          res.writeHead(200, { 'content-type': 'application/json' });
          return void res.end(JSON.stringify({ client_id: 'x', padding: 'x'.repeat(20_000) }));
        }
        res.writeHead(req.url === '/oauth/client.json' || req.url === '/oauth/liar.json' ? 200 : 404, {
          'content-type': 'application/json',
          'cache-control': 'max-age=600',
        });
        res.end(JSON.stringify(served));
      },
    );
    await new Promise<void>((resolve) => docs.listen(0, '127.0.0.1', resolve));
    clientId = `https://127.0.0.1:${(docs.address() as AddressInfo).port}/oauth/client.json`;
    served = {
      client_id: clientId,
      client_name: 'Document client',
      redirect_uris: ['http://127.0.0.1/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'none',
    };
    github = await GithubStandin.start();
    github.signIn('alice');
    allowing = await startOAuthServer(github, {
      OAUTH_CIMD_ALLOW_PRIVATE: 'true',
      NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem'),
    });
    refusing = await startOAuthServer(github, {
      NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem'),
      OAUTH_REGISTRATION_RATE_LIMIT: '3',
    });
  });
  afterAll(async () => {
    await Promise.all([allowing.stop(), refusing.stop(), github.stop()]);
    docs.closeAllConnections();
    docs.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function authorizeUrl(server: ServerProcess, id: string, verifier: string): URL {
    const url = new URL(`${server.apiUrl}/authorize`);
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: id,
      redirect_uri: redirect,
      code_challenge: s256(verifier),
      code_challenge_method: 'S256',
      state: 's',
    }))
      url.searchParams.set(k, v);
    return url;
  }

  it('accepts the document URL as client_id: login, consent, token, refresh; fetched once (cached)', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const flow = await new OAuthBrowser().authorize(authorizeUrl(allowing, clientId, verifier), redirect);
    const code = flow.callback?.searchParams.get('code');
    expect(code).toMatch(/^ac_/);
    const tokens = await form(`${allowing.apiUrl}/token`, {
      grant_type: 'authorization_code',
      client_id: clientId,
      code: code!,
      code_verifier: verifier,
      redirect_uri: redirect,
    });
    expect(tokens.status).toBe(200);
    const claims = JSON.parse(
      Buffer.from((tokens.body.access_token as string).split('.')[1], 'base64url').toString(),
    ) as { client_id: string };
    expect(claims.client_id).toBe(clientId);
    const refreshed = await form(`${allowing.apiUrl}/token`, {
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: tokens.body.refresh_token as string,
    });
    expect(refreshed.status).toBe(200);
    expect(fetches).toBe(1);
  });

  it('refuses documents that do not name themselves, are too large, or live on a private address without permission', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const wrongId = clientId.replace('/oauth/client.json', '/oauth/other.json');
    const notFound = await fetch(authorizeUrl(allowing, wrongId, verifier), { redirect: 'manual' });
    expect(notFound.status).toBe(400);
    expect(await notFound.text()).toContain('fetching the client metadata document answered 404');
    const liar = await fetch(
      authorizeUrl(allowing, clientId.replace('/oauth/client.json', '/oauth/liar.json'), verifier),
      { redirect: 'manual' },
    );
    expect(liar.status).toBe(400);
    expect(await liar.text()).toContain('must contain a client_id equal to its URL');
    const big = await fetch(authorizeUrl(allowing, clientId.replace('/oauth/client.json', '/big.json'), verifier), {
      redirect: 'manual',
    });
    expect(big.status).toBe(400);
    expect(await big.text()).toContain('larger than 10240 bytes');
    const privateRefused = await fetch(authorizeUrl(refusing, clientId, verifier), { redirect: 'manual' });
    expect(privateRefused.status).toBe(400);
    expect(await privateRefused.text()).toContain('the client_id URL points to a private address');
  });

  it('limits dynamic registrations per address and lets unused clients expire', async () => {
    const register = () =>
      fetch(`${refusing.apiUrl}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ redirect_uris: ['https://app.example.test/cb'], token_endpoint_auth_method: 'none' }),
      });
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 4; i++) {
      last = await register();
      statuses.push(last.status);
    }
    expect(statuses).toEqual([201, 201, 201, 429]);
    expect(await last!.json()).toEqual({
      error: 'slow_down',
      error_description: 'too many registrations from this address; at most 3 a minute',
    });
    const clients = await refusing.api<{ client_id: string; used: boolean }[]>('GET', '/api/v1/oauth/clients');
    expect(clients.body.map((c) => c.used)).toEqual([false, false, false]);
    const redis = testRedisClient();
    try {
      const ttl = await redis.ttl(`{${refusing.keyPrefix}}:oauth:client:${clients.body[0].client_id}`);
      expect(ttl).toBeGreaterThan(86000);
      expect(ttl).toBeLessThanOrEqual(86400);
    } finally {
      redis.disconnect();
    }
  });
});
