import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { GithubStandin } from '../support/github-standin';
import type { Backend } from '../support/loopback';
import { loopbackFetch } from '../support/loopback-fetch';
import { HeadlessProvider } from '../support/mcp-headless-provider';
import { type FetchRecord, recordingFetch } from '../support/recording-fetch';
import type { ServerProcess } from '../support/server-process';
import { protectTarget, startMcpServer, startProtectedServer } from './protection-fixture';

async function connect(url: string, provider: HeadlessProvider, log: FetchRecord[]): Promise<Client> {
  const first = new Client({ name: 'sdk-e2e', version: '1.0.0' });
  await expect(
    first.connect(
      new StreamableHTTPClientTransport(new URL(url), {
        authProvider: provider,
        fetch: recordingFetch(loopbackFetch, log),
      }),
    ),
  ).rejects.toThrow(UnauthorizedError);
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    authProvider: provider,
    fetch: recordingFetch(loopbackFetch, log),
  });
  await transport.finishAuth(provider.code as string);
  const client = new Client({ name: 'sdk-e2e', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

const text = (result: unknown) => (result as { content: { text: string }[] }).content[0].text;

describe('the official MCP SDK client against a protected MCP server behind the proxy', () => {
  let github: GithubStandin;
  let server: ServerProcess & { issuer: string };
  let mcp: Backend & { received: import('node:http').IncomingHttpHeaders[] };
  let base: string;

  beforeAll(async () => {
    github = await GithubStandin.start();
    github.signIn('alice');
    server = await startProtectedServer(github);
    mcp = await startMcpServer();
    base = `http://mcp.example.test:${server.httpPort}`;
    await protectTarget(
      server,
      'mcp.example.test',
      mcp.url,
      { mode: 'forward', required_users: ['alice'] },
      { endpoint: '/mcp', scopes: ['mcp:read', 'mcp:write'], name: 'Echo MCP' },
    );
    await protectTarget(server, 'plain.example.test', mcp.url, { mode: 'forward', required_users: ['*'] });
  });
  afterAll(async () => {
    await mcp?.close();
    await server?.stop();
    await github?.stop();
  });

  it('serves RFC 9728 metadata path-inserted and at the root, with CORS', async () => {
    for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
      const res = await loopbackFetch(`${base}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(await res.json()).toEqual({
        resource: `${base}/mcp`,
        authorization_servers: [server.issuer],
        scopes_supported: ['mcp:read', 'mcp:write'],
        bearer_methods_supported: ['header'],
        resource_name: 'Echo MCP',
      });
    }
    const unknown = await loopbackFetch(`${base}/.well-known/oauth-protected-resource/other`);
    expect(unknown.status).toBe(404);
    const challenge = await loopbackFetch(`${base}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/mcp", scope="mcp:read mcp:write"`,
    );
    expect(challenge.headers.get('access-control-expose-headers')).toBe('WWW-Authenticate, Mcp-Session-Id');
    expect(await challenge.json()).toEqual({
      error: 'unauthorized',
      error_description: 'this resource needs an access token',
    });
  });

  it('connects with no prior configuration: 401, path-inserted discovery, DCR, GitHub login + consent, token, tool call; then refreshes', async () => {
    const provider = new HeadlessProvider();
    const log: FetchRecord[] = [];
    const client = await connect(`${base}/mcp`, provider, log);

    const urls = log.map((l) => `${l.method} ${l.url.split('?')[0]} ${l.status}`);
    expect(urls[0]).toBe(`POST ${base}/mcp 401`);
    expect(urls).toContain(`GET ${base}/.well-known/oauth-protected-resource/mcp 200`);
    expect(urls).toContain(`GET ${server.issuer}/.well-known/oauth-authorization-server 200`);
    expect(urls).toContain(`POST ${server.issuer}/register 201`);
    expect(urls).toContain(`POST ${server.issuer}/token 200`);
    const tokenRequest = new URLSearchParams(log.find((l) => l.url === `${server.issuer}/token`)?.body);
    expect(tokenRequest.get('grant_type')).toBe('authorization_code');
    expect(tokenRequest.get('resource')).toBe(`${base}/mcp`);

    expect(text(await client.callTool({ name: 'echo', arguments: { text: 'hello through the proxy' } }))).toBe(
      'hello through the proxy',
    );
    // Identity from the proxy; the client's token is not passed through.
    expect(JSON.parse(text(await client.callTool({ name: 'whoami', arguments: {} })))).toEqual({
      login: 'alice',
      id: expect.stringMatching(/^\d+$/),
      scopes: 'mcp:read mcp:write',
      authorization: null,
    });

    // Refresh: the access token goes bad; the SDK gets 401 invalid_token, refreshes, retries.
    const before = provider.saved as OAuthTokens;
    provider.saved = { ...before, access_token: `${before.access_token.slice(0, -4)}AAAA` };
    log.length = 0;
    expect(text(await client.callTool({ name: 'echo', arguments: { text: 'after refresh' } }))).toBe('after refresh');
    const refresh = log.filter((l) => l.url === `${server.issuer}/token`);
    expect(refresh).toHaveLength(1);
    expect(new URLSearchParams(refresh[0].body).get('grant_type')).toBe('refresh_token');
    expect(provider.saved?.refresh_token).not.toBe(before.refresh_token);
    expect(provider.saved?.access_token).not.toBe(before.access_token);
    await client.close();
  });

  it('discovers through the root metadata when the target protects its whole host', async () => {
    const provider = new HeadlessProvider();
    const log: FetchRecord[] = [];
    const plain = `http://plain.example.test:${server.httpPort}`;
    const client = await connect(`${plain}/mcp`, provider, log);
    const urls = log.map((l) => `${l.method} ${l.url.split('?')[0]} ${l.status}`);
    // The 401 names the root metadata; where the SDK discovers on its own it tries path-inserted first
    // (404 here: no resource is registered at /mcp) and falls back to the root.
    expect(log[0]).toMatchObject({ status: 401 });
    expect(urls).toContain(`GET ${plain}/.well-known/oauth-protected-resource 200`);
    const pathInserted = urls.indexOf(`GET ${plain}/.well-known/oauth-protected-resource/mcp 404`);
    expect(pathInserted).toBeGreaterThanOrEqual(0);
    expect(urls[pathInserted + 1]).toBe(`GET ${plain}/.well-known/oauth-protected-resource 200`);
    const challenge = await loopbackFetch(`${plain}/mcp`, { method: 'POST', body: '{}' });
    expect(challenge.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${plain}/.well-known/oauth-protected-resource"`,
    );
    const tokenRequest = new URLSearchParams(log.find((l) => l.url === `${server.issuer}/token`)?.body);
    expect(tokenRequest.get('resource')).toMatch(new RegExp(`^${plain.replace(/\./g, '\\.')}/?$`));
    expect(JSON.parse(text(await client.callTool({ name: 'whoami', arguments: {} }))).login).toBe('alice');
    await client.close();
  });
});
