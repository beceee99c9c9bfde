import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:https';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { form, startOAuthServer } from '../oauth/oauth-fixture';
import { GithubStandin } from '../support/github-standin';
import { OAuthBrowser } from '../support/oauth-browser';
import { Pebble } from '../support/pebble';
import { ServerProcess } from '../support/server-process';

const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');
const DOC_HOST = 'cimd.example.test';
/** The server's overall deadline for one document fetch (CIMD_TIMEOUT_MS). */
const DEADLINE_MS = 5000;

/**
 * Class 8 of the security review: a Client ID Metadata Document at a DNS name is fetched (every
 * resolved address checked, the connection pinned to a checked address, the certificate verified
 * for the name), and one deadline bounds the whole fetch. Names resolve through
 * pebble-challtestsrv (every name → 127.0.0.1) via OAUTH_CIMD_DNS_SERVERS, never the machine's
 * resolver; the document server's certificate (for the name) is trusted through NODE_EXTRA_CA_CERTS.
 */
describe('Client ID Metadata Documents: DNS names and a deadline', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cimd-sec-'));
  let dns: Pebble;
  let docs: Server;
  let port: number;
  let github: GithubStandin;
  let allowing: ServerProcess;
  let refusing: ServerProcess;
  const trickles = new Set<NodeJS.Timeout>();
  const docUrl = (host: string, path: string) => `https://${host}:${port}${path}`;

  beforeAll(async () => {
    dns = await Pebble.prepare();
    await dns.startDns();
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
        `/CN=${DOC_HOST}`,
        '-addext',
        `subjectAltName=DNS:${DOC_HOST},IP:127.0.0.1`,
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
        if (req.url === '/trickle.json') {
          // Headers at once, then one byte every 500 ms: never idle for long, never done.
          res.writeHead(200, { 'content-type': 'application/json' });
          let sent = 0;
          const timer = setInterval(() => {
            if (++sent > 60) return void res.end();
            res.write(' ');
          }, 500);
          trickles.add(timer);
          res.on('close', () => {
            clearInterval(timer);
            trickles.delete(timer);
          });
          return;
        }
        // The document names itself with the URL it was fetched as (the Host the server sent).
        const clientId = `https://${req.headers.host}${req.url}`;
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=600' });
        // Portless loopback redirect URIs, as Claude Code publishes (any port matches, RFC 8252 §7.3).
        res.end(
          JSON.stringify({
            client_id: clientId,
            client_name: 'Hostname client',
            redirect_uris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
            grant_types: ['authorization_code', 'refresh_token'],
            token_endpoint_auth_method: 'none',
          }),
        );
      },
    );
    await new Promise<void>((resolve) => docs.listen(0, '127.0.0.1', resolve));
    port = (docs.address() as AddressInfo).port;
    github = await GithubStandin.start();
    github.signIn('alice');
    const common = { NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem'), OAUTH_CIMD_DNS_SERVERS: `127.0.0.1:${dns.dnsPort}` };
    allowing = await startOAuthServer(github, { ...common, OAUTH_CIMD_ALLOW_PRIVATE: 'true' });
    refusing = await startOAuthServer(github, common);
  });
  afterAll(async () => {
    for (const timer of trickles) clearInterval(timer);
    await Promise.all([allowing?.stop(), refusing?.stop(), github?.stop(), dns?.stop()]);
    docs?.closeAllConnections();
    docs?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function authorizeUrl(server: ServerProcess, clientId: string, redirect: string, verifier: string): URL {
    const url = new URL(`${server.apiUrl}/authorize`);
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirect,
      code_challenge: s256(verifier),
      code_challenge_method: 'S256',
      state: 's',
    }))
      url.searchParams.set(k, v);
    return url;
  }

  it('a hostname client_id with portless loopback redirect URIs: login, consent, token, refresh', async () => {
    const clientId = docUrl(DOC_HOST, '/oauth/client.json');
    for (const redirect of ['http://127.0.0.1:47021/callback', 'http://localhost:47022/callback']) {
      const verifier = randomBytes(32).toString('base64url');
      const flow = await new OAuthBrowser().authorize(authorizeUrl(allowing, clientId, redirect, verifier), redirect);
      const code = flow.callback?.searchParams.get('code');
      expect({ redirect, code: code ?? flow.page?.body }).toEqual({
        redirect,
        code: expect.stringMatching(/^ac_/) as string,
      });
      const tokens = await form(`${allowing.apiUrl}/token`, {
        grant_type: 'authorization_code',
        client_id: clientId,
        code: code!,
        code_verifier: verifier,
        redirect_uri: redirect,
      });
      expect(tokens.status).toBe(200);
      const refreshed = await form(`${allowing.apiUrl}/token`, {
        grant_type: 'refresh_token',
        client_id: clientId,
        refresh_token: tokens.body.refresh_token as string,
      });
      expect(refreshed.status).toBe(200);
    }
  });

  it('verifies the certificate for the name it connected for', async () => {
    // other.example.test resolves to the same checked address, but the certificate is not for it.
    const res = await fetch(
      authorizeUrl(
        allowing,
        docUrl('other.example.test', '/oauth/client.json'),
        'http://127.0.0.1:47023/callback',
        'v'.repeat(43),
      ),
      { redirect: 'manual' },
    );
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/fetching the client metadata document failed: .*(altnames|certificate)/i);
  });

  it('refuses a name that resolves to a private address unless private addresses are allowed', async () => {
    const res = await fetch(
      authorizeUrl(refusing, docUrl(DOC_HOST, '/oauth/client.json'), 'http://127.0.0.1:47024/callback', 'v'.repeat(43)),
      { redirect: 'manual' },
    );
    expect(res.status).toBe(400);
    expect(await res.text()).toContain(`${DOC_HOST} resolves to a private address`);
  });

  it('a trickling document server cannot hold /authorize past the deadline', async () => {
    const started = Date.now();
    // The bound on this wait only turns a hang into a failure; the answer is expected well before.
    const res = await fetch(
      authorizeUrl(allowing, docUrl('127.0.0.1', '/trickle.json'), 'http://127.0.0.1:47025/callback', 'v'.repeat(43)),
      { redirect: 'manual', signal: AbortSignal.timeout(DEADLINE_MS + 5000) },
    );
    const elapsed = Date.now() - started;
    expect(res.status).toBe(400);
    expect(await res.text()).toContain(`the client metadata document did not arrive within ${DEADLINE_MS} ms`);
    expect(elapsed).toBeLessThan(DEADLINE_MS + 2000);
  });
});
