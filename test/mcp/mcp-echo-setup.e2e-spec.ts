import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliProcess } from '../support/cli-process';
import { GithubStandin } from '../support/github-standin';
import { loopbackFetch } from '../support/loopback-fetch';
import { HeadlessProvider } from '../support/mcp-headless-provider';
import { freePort } from '../support/ports';
import { ServerProcess } from '../support/server-process';

const ROOT = join(__dirname, '..', '..');

interface SetupJson {
  issuer: string | null;
  servers: {
    mode: 'stateless' | 'stateful';
    hostname: string;
    backend: string;
    url: string;
    resource_id: string | null;
  }[];
}

/** Stops what the setup started, by the pids in its pid files (never by name). */
function stopEchoServers(dataDir: string): void {
  for (const mode of ['stateless', 'stateful']) {
    const pidFile = join(dataDir, `mcp-echo-${mode}.pid`);
    if (!existsSync(pidFile)) continue;
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

const pidOf = (dataDir: string, mode: string) =>
  Number(readFileSync(join(dataDir, `mcp-echo-${mode}.pid`), 'utf8').trim());

/** 401 → discovery, DCR, GitHub (stand-in) login, consent, token; then a connected client. */
async function connectWithLogin(
  url: string,
  provider: HeadlessProvider,
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const first = new Client({ name: 'echo-setup-e2e', version: '1.0.0' });
  await expect(
    first.connect(new StreamableHTTPClientTransport(new URL(url), { authProvider: provider, fetch: loopbackFetch })),
  ).rejects.toThrow(UnauthorizedError);
  const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider, fetch: loopbackFetch });
  await transport.finishAuth(provider.code!);
  const client = new Client({ name: 'echo-setup-e2e', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

async function countdown(client: Client, steps: number): Promise<string[]> {
  const events: string[] = [];
  const result = (await client.callTool({ name: 'countdown', arguments: { steps, interval_ms: 20 } }, undefined, {
    onprogress: (p) => events.push(`progress ${p.progress}/${p.total}`),
  })) as {
    content: { text: string }[];
  };
  events.push(`result ${result.content[0].text}`);
  return events;
}

// Issue 8's "Done means": the one-command setup on a fresh Redis, then the SDK client through the
// proxy with headless OAuth against both echo servers.
describe('mcp echo-setup end to end: fresh Redis → SDK client through the proxy with GitHub login', () => {
  let github: GithubStandin;
  let server: ServerProcess;
  let dataDir: string;
  let result: SetupJson;
  let ports: { stateless: number; stateful: number };
  const cliEnv = () => ({
    PROXY_API_URL: server.apiUrl,
    PROXY_API_TOKEN: server.adminToken,
    BASE_DOMAIN: 'example.test',
  });
  const url = (mode: 'stateless' | 'stateful') => result.servers.find((s) => s.mode === mode)!.url;

  beforeAll(async () => {
    github = await GithubStandin.start();
    github.signIn('octocat');
    server = await ServerProcess.prepare(); // a fresh key prefix: nothing configured in Redis
    const issuer = `http://auth.example.test:${server.httpPort}`;
    Object.assign(server.env, {
      AUTH_HOSTNAME: 'auth.example.test',
      OAUTH_ISSUER: issuer,
      OAUTH_ALLOWED_GITHUB_USERS: '*',
      ...github.env,
    });
    await server.launch();
    dataDir = mkdtempSync(join(tmpdir(), 'mcp-echo-setup-'));
    ports = { stateless: await freePort(), stateful: await freePort() };
    const run = await runCliProcess(
      [
        'mcp',
        'echo-setup',
        '--json',
        '--data-dir',
        dataDir,
        '--stateless-port',
        String(ports.stateless),
        '--stateful-port',
        String(ports.stateful),
        '--no-enable-https',
      ],
      cliEnv(),
    );
    if (run.code !== 0) throw new Error(`echo-setup failed (${run.code}):\n${run.stderr}\n${run.stdout}`);
    result = JSON.parse(run.stdout) as SetupJson;
  }, 60_000);
  afterAll(async () => {
    if (dataDir) stopEchoServers(dataDir);
    await server?.stop();
    await github?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('published both servers, protected, with metadata and registry entries', async () => {
    expect(result.issuer).toBe(`http://auth.example.test:${server.httpPort}`);
    expect(result.servers.map((s) => s.hostname)).toEqual([
      'echo-stateless.example.test',
      'echo-stateful.example.test',
    ]);
    for (const s of result.servers) {
      expect(s.resource_id).toBeTruthy();
      const challenge = await loopbackFetch(s.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(challenge.status).toBe(401);
      expect(challenge.headers.get('www-authenticate')).toContain('resource_metadata="');
      expect((await server.api('GET', `/api/v1/resources/${s.resource_id}`)).body).toMatchObject({
        uri: s.url,
        proxy_target: s.hostname,
        scopes: ['mcp:read', 'mcp:write'],
      });
    }
    expect((await server.api<unknown[]>('GET', '/api/v1/resources')).body).toHaveLength(2);
  });

  it.each(['stateless', 'stateful'] as const)(
    '%s: echo, whoami (the GitHub login), progress before the result',
    async (mode) => {
      const provider = new HeadlessProvider('http://localhost:43219/callback', 'echo-setup e2e');
      const { client } = await connectWithLogin(url(mode), provider);
      expect(await client.callTool({ name: 'echo', arguments: { text: 'through the proxy' } })).toMatchObject({
        content: [{ text: 'through the proxy' }],
      });
      const who = (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent as Record<
        string,
        string | null
      >;
      expect(who).toMatchObject({
        user_name: 'octocat',
        user_email: 'octocat@users.example.test',
        client_id: provider.info!.client_id,
      });
      expect(who.scopes?.split(' ').sort()).toEqual(['mcp:read', 'mcp:write']);
      expect(await countdown(client, 3)).toEqual([
        'progress 1/3',
        'progress 2/3',
        'progress 3/3',
        'result done after 3 steps',
      ]);
      await client.close();
    },
  );

  it('stateful: the session survives across requests and DELETE ends it', async () => {
    const provider = new HeadlessProvider('http://localhost:43219/callback', 'echo-setup e2e');
    const { client, transport } = await connectWithLogin(url('stateful'), provider);
    const id = transport.sessionId!;
    expect(id).toBeTruthy();
    for (const text of ['one', 'two'])
      expect(await client.callTool({ name: 'echo', arguments: { text } })).toMatchObject({ content: [{ text }] });
    expect(transport.sessionId).toBe(id);
    await transport.terminateSession();
    const after = await loopbackFetch(url('stateful'), {
      method: 'POST',
      headers: {
        accept: 'application/json, text/event-stream',
        'content-type': 'application/json',
        authorization: `Bearer ${provider.saved!.access_token}`,
        'mcp-session-id': id,
        'mcp-protocol-version': '2025-06-18',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list', params: {} }),
    });
    expect(after.status).toBe(404);
    await client.close();
  });
  it('refuses bad arguments before doing anything (exit 2)', async () => {
    const bad = await runCliProcess(['mcp', 'echo-setup', '--data-dir', join(dataDir, 'unused')], {
      PROXY_API_URL: server.apiUrl,
      PROXY_API_TOKEN: server.adminToken,
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'proxyctl: no base domain: pass --base-domain example.com or set BASE_DOMAIN (the echo servers get echo-stateless.<domain> and echo-stateful.<domain>)\nRun "proxyctl mcp echo-setup --help" for usage.\n',
    );
    expect(existsSync(join(dataDir, 'unused'))).toBe(false);
  });

  it('is idempotent: a re-run through the just recipe keeps the running servers and the targets', async () => {
    const before = { stateless: pidOf(dataDir, 'stateless'), stateful: pidOf(dataDir, 'stateful') };
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const args = [
        '--justfile',
        join(ROOT, 'justfile'),
        'mcp-echo-setup',
        '--data-dir',
        dataDir,
        '--stateless-port',
        String(ports.stateless),
        '--stateful-port',
        String(ports.stateful),
        '--no-enable-https',
      ];
      const child = spawn(join(ROOT, 'node_modules', '.bin', 'just'), args, {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...cliEnv() },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('error', reject);
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toContain(`✓ echo server (stateless): already running, pid ${before.stateless}`);
    expect(run.stdout).toContain(
      `✓ proxy target echo-stateless.example.test → http://127.0.0.1:${ports.stateless}: unchanged`,
    );
    expect({ stateless: pidOf(dataDir, 'stateless'), stateful: pidOf(dataDir, 'stateful') }).toEqual(before);
    const targets = (await server.api<{ hostname: string }[]>('GET', '/api/v1/proxy/targets')).body
      .map((t) => t.hostname)
      .sort();
    expect(targets).toEqual(['echo-stateful.example.test', 'echo-stateless.example.test']);
  });

  it('mcp echo-stop stops both servers', async () => {
    const stopped = await runCliProcess(['mcp', 'echo-stop', '--data-dir', dataDir], {});
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toMatch(/^stateless: stopped \(pid \d+\)\nstateful: stopped \(pid \d+\)\n$/);
    await expect(fetch(`http://127.0.0.1:${ports.stateless}/health`)).rejects.toThrow();
    expect(existsSync(join(dataDir, 'mcp-echo-stateless.pid'))).toBe(false);
    expect((await runCliProcess(['mcp', 'echo-stop', '--data-dir', dataDir], {})).stdout).toBe(
      'stateless: not running\nstateful: not running\n',
    );
  });
});
