import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { GithubStandin } from '../support/github-standin';
import type { Backend } from '../support/loopback';
import { loopbackFetch } from '../support/loopback-fetch';
import { HeadlessProvider } from '../support/mcp-headless-provider';
import { type FetchRecord, recordingFetch } from '../support/recording-fetch';
import type { ServerProcess } from '../support/server-process';
import { waitFor } from '../support/wait';
import { protectTarget, startMcpServer, startProtectedServer } from './protection-fixture';

interface Session {
  client: Client;
  transport: StreamableHTTPClientTransport;
  provider: HeadlessProvider;
  log: FetchRecord[];
}

/**
 * The SDK's first connection: 401, discovery, registration, GitHub stand-in and consent, then the
 * code is exchanged and the client connects. The client holds no refresh token: on 403
 * insufficient_scope the SDK (1.32) then re-authorizes through the browser, where with a refresh
 * token it would refresh (which cannot widen the scope) and give up (docs/mcp.md, "Step-up").
 */
async function signIn(github: GithubStandin, login: string, url: string): Promise<Session> {
  github.signIn(login);
  const provider = new HeadlessProvider('http://127.0.0.1:43212/callback', `step-up ${login}`, ['authorization_code']);
  const log: FetchRecord[] = [];
  const transportFor = () =>
    new StreamableHTTPClientTransport(new URL(url), {
      authProvider: provider,
      fetch: recordingFetch(loopbackFetch, log),
    });
  await expect(new Client({ name: 'step-up', version: '1.0.0' }).connect(transportFor())).rejects.toThrow(
    UnauthorizedError,
  );
  const transport = transportFor();
  await transport.finishAuth(provider.code as string);
  const client = new Client({ name: 'step-up', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport, provider, log };
}

const text = (result: unknown) => (result as { content: { text: string }[] }).content[0].text;
const toolNames = async (client: Client) => (await client.listTools()).tools.map((t) => t.name).sort();

interface LogPage {
  total: number;
  entries: Record<string, unknown>[];
}

describe('MCP governance with the official SDK client: step-up and per-user tool lists', () => {
  let github: GithubStandin;
  let server: ServerProcess & { issuer: string };
  let mcp: Backend & { received: import('node:http').IncomingHttpHeaders[] };
  let streaming: Backend;
  let url: string;

  /** A protected target with a resource that needs only mcp:read, and the policy of these tests. */
  async function governedTarget(hostname: string, backendUrl: string): Promise<void> {
    await protectTarget(
      server,
      hostname,
      backendUrl,
      { mode: 'forward', required_users: ['alice', 'bob'] },
      { endpoint: '/mcp', scopes: ['mcp:read'], name: 'Governed echo' },
    );
    const resources = await server.api<{ id: string; proxy_target: string }[]>('GET', '/api/v1/resources');
    const id = resources.body.find((r) => r.proxy_target === hostname)?.id;
    const policy = await server.api('PUT', `/api/v1/resources/${id}/policy`, {
      body: {
        rules: [
          { id: 'echo-writes', method: 'tools/call', name: 'echo', scopes: ['mcp:write'] },
          { id: 'whoami-alice', method: 'tools/call', name: 'whoami', users: ['alice'] },
        ],
      },
    });
    expect(policy.status).toBe(200);
  }

  beforeAll(async () => {
    github = await GithubStandin.start();
    server = await startProtectedServer(github);
    mcp = await startMcpServer();
    streaming = await startMcpServer({ json: false });
    url = `http://governed.example.test:${server.httpPort}/mcp`;
    await governedTarget('governed.example.test', mcp.url);
    await governedTarget('streaming.example.test', streaming.url);
  });
  afterAll(async () => {
    await streaming?.close();
    await mcp?.close();
    await server?.stop();
    await github?.stop();
  });

  it('connects with mcp:read, gets 403 insufficient_scope on a tool that needs mcp:write, re-authorizes, then calls it', async () => {
    const { client, transport, provider, log } = await signIn(github, 'alice', url);
    expect(provider.saved?.scope).toBe('mcp:read');
    expect(JSON.parse(text(await client.callTool({ name: 'whoami', arguments: {} }))).login).toBe('alice');

    log.length = 0;
    const firstCode = provider.code;
    const backendCalls = mcp.received.length;
    await expect(client.callTool({ name: 'echo', arguments: { text: 'write' } })).rejects.toThrow(UnauthorizedError);
    expect(mcp.received.length).toBe(backendCalls); // the denied call never reached the backend
    const refused = log.find((l) => l.status === 403);
    expect(refused?.challenge).toMatch(/^Bearer /);
    expect(refused?.challenge).toContain('error="insufficient_scope"');
    expect(refused?.challenge).toContain(`resource_metadata="http://governed.example.test:${server.httpPort}/`);
    const challenged = /scope="([^"]*)"/
      .exec(refused?.challenge ?? '')?.[1]
      .split(' ')
      .sort();
    expect(challenged).toEqual(['mcp:read', 'mcp:write']);

    // The browser went through GitHub and a consent page that asks only for the new scope.
    const stepUp = provider.flows[provider.flows.length - 1];
    expect(stepUp.consentPages).toHaveLength(1);
    expect(stepUp.consentPages[0]).toContain('<code>mcp:write</code>');
    expect(stepUp.consentPages[0]).toContain('Already allowed: <code>mcp:read</code>');
    expect(provider.code).toBeDefined();
    expect(provider.code).not.toBe(firstCode);

    await transport.finishAuth(provider.code as string);
    expect(provider.saved?.scope?.split(' ').sort()).toEqual(['mcp:read', 'mcp:write']);
    expect(text(await client.callTool({ name: 'echo', arguments: { text: 'after step-up' } }))).toBe('after step-up');
    await client.close();

    const denied = await waitFor(
      'the denied call in the request log',
      () => server.api<LogPage>('GET', '/api/v1/logs?decision=denied-scope&mcp_name=echo'),
      (res) => res.status === 200 && res.body.total > 0,
    );
    expect(denied.body.entries[0]).toMatchObject({
      mcp_method: 'tools/call',
      mcp_name: 'echo',
      mcp_rule: 'echo-writes',
      decision: 'denied-scope',
      auth_user: 'alice',
    });
  });

  it('two users with different rules see different tool lists, and the hidden tool stays refused', async () => {
    const alice = await signIn(github, 'alice', url);
    const bob = await signIn(github, 'bob', url);
    expect(await toolNames(alice.client)).toEqual(['echo', 'whoami']);
    // whoami is for alice only (no scope would let bob call it); echo needs a step-up, so bob still sees it.
    expect(await toolNames(bob.client)).toEqual(['echo']);
    await expect(bob.client.callTool({ name: 'whoami', arguments: {} })).rejects.toThrow(/-32003.*whoami-alice/);
    await alice.client.close();
    await bob.client.close();
  });

  it('filters the list in an event-stream answer the same way', async () => {
    const streamUrl = `http://streaming.example.test:${server.httpPort}/mcp`;
    const alice = await signIn(github, 'alice', streamUrl);
    const bob = await signIn(github, 'bob', streamUrl);
    const answers: string[] = [];
    const listed = await loopbackFetch(streamUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${bob.provider.saved?.access_token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list' }),
    });
    expect(listed.headers.get('content-type')).toContain('text/event-stream');
    answers.push(await listed.text());
    expect(answers[0]).toContain('"name":"echo"');
    expect(answers[0]).not.toContain('whoami');
    expect(await toolNames(alice.client)).toEqual(['echo', 'whoami']);
    expect(await toolNames(bob.client)).toEqual(['echo']);
    await alice.client.close();
    await bob.client.close();
  });
});
