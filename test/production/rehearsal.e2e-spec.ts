import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { connect as tlsConnect } from 'node:tls';
import { GithubStandin } from '../support/github-standin';
import { httpsLoopbackFetch } from '../support/https-loopback-fetch';
import { McpEchoProcess } from '../support/mcp-echo-process';
import { HeadlessProvider } from '../support/mcp-headless-provider';
import { OAuthBrowser } from '../support/oauth-browser';
import { Pebble } from '../support/pebble';
import { type FetchRecord, recordingFetch } from '../support/recording-fetch';
import { ServerProcess } from '../support/server-process';
import { waitFor } from '../support/wait';

jest.setTimeout(180_000);

const DOMAIN = 'rehearsal.test';
const AUTH = `auth.${DOMAIN}`;
const MCP = `echo.${DOMAIN}`;

/** Polls `read` until `done` holds (waitFor: a timeout names the last value seen). */
function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 90_000): Promise<T> {
  return waitFor('the rehearsal condition', read, done, { timeoutMs, intervalMs: 250 });
}

interface Health {
  status: string;
  reasons?: string[];
  system_certificates?: {
    role: string;
    hostname: string;
    cert_name: string;
    status: string;
    valid: boolean;
    error: string | null;
  }[];
}

/** The headless provider, browsing with the https fetch (the shared one uses the http loopback fetch). */
class HttpsHeadlessProvider extends HeadlessProvider {
  constructor(private readonly browse: typeof fetch) {
    super('http://127.0.0.1:43212/callback', 'MCP SDK production rehearsal');
  }
  override async redirectToAuthorization(url: URL): Promise<void> {
    const flow = await new OAuthBrowser({ fetch: this.browse }).authorize(url, this.redirectUrl);
    this.code = flow.callback?.searchParams.get('code') ?? undefined;
    if (!this.code)
      throw new Error(`authorization did not produce a code: ${flow.page?.status} ${flow.page?.body.slice(0, 300)}`);
  }
}

/**
 * The documented production deployment (docs/deploy.md + docs/mcp.md) rehearsed end to end: a fresh
 * server with default settings except what a user sets per docs/deploy.md (secrets, BASE_DOMAIN,
 * GitHub app, allowed users) and the ACME CA (Pebble instead of Let's Encrypt: its directory and CA
 * bundle). Pebble validates HTTP-01 on the server's public HTTP listener. The auth hostname gets its
 * certificate from the server itself; the MCP hostname gets one through the API, as docs/mcp.md
 * says. Then the official MCP SDK client, trusting only Pebble's root, goes discovery → registration
 * → GitHub login → consent → token → tool call → refresh, all over https on the public listener.
 */
describe('production rehearsal: the documented deployment over https with an ACME CA', () => {
  let pebble: Pebble;
  let github: GithubStandin;
  let echo: McpEchoProcess;
  let server: ServerProcess;
  let root: string;
  let httpsFetch: typeof fetch;
  let issuer: string;
  let mcpUrl: string;

  beforeAll(async () => {
    pebble = await Pebble.prepare();
    github = await GithubStandin.start();
    github.signIn('alice');
    echo = await McpEchoProcess.start('stateless');
    server = await ServerProcess.prepare();
    // Defaults: the harness turns automatic certificates off and points ACME at a closed port; a
    // production install has neither.
    delete server.env.AUTO_CERTIFICATES;
    delete server.env.CONFIG_POLL_SECONDS;
    issuer = `https://${AUTH}:${server.httpsPort}`;
    Object.assign(server.env, {
      BASE_DOMAIN: DOMAIN,
      ADMIN_EMAIL: 'ops@rehearsal.test',
      OAUTH_ALLOWED_GITHUB_USERS: 'alice',
      // The listener is not on 443 here, so the issuer names its port (on real ports the default, https://<AUTH_HOSTNAME>, is it).
      OAUTH_ISSUER: issuer,
      ...github.env,
      ...pebble.serverEnv,
    });
    mcpUrl = `https://${MCP}:${server.httpsPort}/mcp`;
    // Pebble first: the server orders the auth hostname's certificate as soon as it starts.
    await pebble.start(server.httpPort);
    await server.launch();
    root = await pebble.root();
    httpsFetch = httpsLoopbackFetch(root, [AUTH, MCP]);
  });

  afterAll(async () => {
    await server?.stop();
    await echo?.stop();
    await github?.stop();
    await pebble?.stop();
  });

  /** The certificate the public HTTPS listener presents for `servername`, checked against Pebble's root only. */
  const presented = (servername: string) =>
    new Promise<{ authorized: boolean; error?: string; altNames: string }>((resolve, reject) => {
      const socket = tlsConnect(
        { host: '127.0.0.1', port: server.httpsPort, servername, ca: root, rejectUnauthorized: false },
        () => {
          resolve({
            authorized: socket.authorized,
            error: socket.authorizationError?.message,
            altNames: socket.getPeerCertificate().subjectaltname ?? '',
          });
          socket.end();
        },
      );
      socket.once('error', reject);
    });

  it("obtains the auth hostname's certificate by itself, shows it as a system certificate, and /health turns ok", async () => {
    const health = await eventually(
      async () => (await server.api<Health>('GET', '/health', { token: null })).body,
      (h) => h.status === 'ok',
    );
    expect(health.status).toBe('ok');
    expect(health.system_certificates).toEqual([
      expect.objectContaining({
        role: 'AUTH_HOSTNAME',
        hostname: AUTH,
        cert_name: 'system-auth-rehearsal-test',
        status: 'active',
        valid: true,
      }),
    ]);
    expect(await presented(AUTH)).toEqual({ authorized: true, error: undefined, altNames: `DNS:${AUTH}` });

    const list = await server.api<{ cert_name: string; system: boolean; owner: string; domains: string[] }[]>(
      'GET',
      '/api/v1/certificates',
    );
    expect(list.body).toEqual([
      expect.objectContaining({
        cert_name: 'system-auth-rehearsal-test',
        system: true,
        owner: '@system',
        domains: [AUTH],
      }),
    ]);
    const del = await server.api<{ message: string }>('DELETE', '/api/v1/certificates/system-auth-rehearsal-test');
    expect(del.status).toBe(409);
    expect(del.text).toMatch(/system certificate/);

    const discovery = await httpsFetch(`${issuer}/.well-known/oauth-authorization-server`);
    expect(discovery.status).toBe(200);
    expect(((await discovery.json()) as { issuer: string }).issuer).toBe(issuer);
  });

  it("orders the MCP hostname's certificate through the API as docs/mcp.md says", async () => {
    const created = await server.api<{ cert_name: string; certificate_status: string }>(
      'POST',
      '/api/v1/proxy/targets',
      { body: { hostname: MCP, target_url: echo.baseUrl } },
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ cert_name: 'proxy-echo-rehearsal-test', certificate_status: 'pending' });
    const status = await server.api<{ status: string; error: string | null }>(
      'GET',
      '/api/v1/certificates/proxy-echo-rehearsal-test/status?wait=90',
    );
    expect(status.body).toMatchObject({ status: 'active', error: null });
    const auth = await server.api('POST', `/api/v1/proxy/targets/${MCP}/auth`, {
      body: {
        enabled: true,
        auth_proxy: AUTH,
        mode: 'forward',
        required_users: ['*'],
        allowed_scopes: ['mcp:read', 'mcp:write'],
        pass_headers: true,
        header_prefix: 'X-Auth-',
      },
    });
    expect(auth.status).toBe(200);
    const resource = await server.api('POST', `/api/v1/proxy/targets/${MCP}/resource`, {
      body: { endpoint: '/mcp', scopes: ['mcp:read', 'mcp:write'], name: 'Echo' },
    });
    expect(resource.status).toBe(200);
    const served = await eventually(
      () => presented(MCP),
      (p) => p.authorized,
    );
    expect(served).toEqual({ authorized: true, error: undefined, altNames: `DNS:${MCP}` });
  });

  it('the MCP SDK client, trusting only the CA, connects, calls a tool and refreshes, all over https', async () => {
    const log: FetchRecord[] = [];
    const recording = recordingFetch(httpsFetch, log);
    const provider = new HttpsHeadlessProvider(httpsFetch);
    const first = new Client({ name: 'rehearsal', version: '1.0.0' });
    await expect(
      first.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider, fetch: recording })),
    ).rejects.toThrow(UnauthorizedError);
    const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider, fetch: recording });
    await transport.finishAuth(provider.code as string);
    const client = new Client({ name: 'rehearsal', version: '1.0.0' });
    await client.connect(transport);

    const urls = log.map((l) => `${l.method} ${l.url.split('?')[0]} ${l.status}`);
    expect(urls[0]).toBe(`POST ${mcpUrl} 401`);
    expect(urls).toContain(`GET https://${MCP}:${server.httpsPort}/.well-known/oauth-protected-resource/mcp 200`);
    expect(urls).toContain(`GET ${issuer}/.well-known/oauth-authorization-server 200`);
    expect(urls).toContain(`POST ${issuer}/register 201`);
    expect(urls).toContain(`POST ${issuer}/token 200`);
    expect(log.every((l) => l.url.startsWith('https://'))).toBe(true);

    const result = (await client.callTool({ name: 'echo', arguments: { text: 'hello over https' } })) as {
      content: { text: string }[];
    };
    expect(result.content[0].text).toContain('hello over https');
    const who = (await client.callTool({ name: 'whoami', arguments: {} })) as {
      structuredContent?: Record<string, unknown>;
    };
    expect(who.structuredContent).toMatchObject({ user_name: 'alice' });

    // Refresh: the access token goes bad; the SDK gets 401 invalid_token, refreshes, retries.
    const before = provider.saved as OAuthTokens;
    provider.saved = { ...before, access_token: `${before.access_token.slice(0, -4)}AAAA` };
    log.length = 0;
    const again = (await client.callTool({ name: 'echo', arguments: { text: 'after refresh' } })) as {
      content: { text: string }[];
    };
    expect(again.content[0].text).toContain('after refresh');
    const refresh = log.filter((l) => l.url === `${issuer}/token`);
    expect(refresh).toHaveLength(1);
    expect(new URLSearchParams(refresh[0].body).get('grant_type')).toBe('refresh_token');
    expect(provider.saved?.refresh_token).not.toBe(before.refresh_token);
    await client.close();
  });
});
