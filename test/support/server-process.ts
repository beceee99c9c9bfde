import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './ports';
import { waitFor } from './wait';
import { testRedisEnv } from './test-redis';

const ROOT = join(__dirname, '..', '..');
export const SERVER_MAIN = join(ROOT, 'dist', 'apps', 'server', 'main.js');
/** The V8 flags the server is launched with in production (apps/server/node-flags.json). */
export const SERVER_NODE_FLAGS = (
  JSON.parse(readFileSync(join(ROOT, 'apps', 'server', 'node-flags.json'), 'utf8')) as { flags: string[] }
).flags;
/** One storage encryption key per test worker, so replicas sharing a key prefix open each other's secrets. */
export const TEST_STORAGE_ENCRYPTION_KEY = randomBytes(32).toString('base64');

export interface ServerOptions {
  /** Extra or overriding environment variables. */
  env?: Record<string, string>;
  /** Share a key prefix with another server (replicas); default: a fresh one per server. */
  keyPrefix?: string;
}

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/**
 * The real, built server (`dist/apps/server/main.js`) as a child process on free loopback ports,
 * against the suite's Redis (started by global-setup; one redis-server or, with
 * TEST_REDIS_TOPOLOGY=cluster, a Redis Cluster). `npm test` builds it first.
 */
export class ServerProcess {
  readonly adminToken = `acm_test_admin_${randomBytes(12).toString('hex')}`;
  private child?: ChildProcess;
  private output = '';
  readonly env: Record<string, string>;

  private constructor(
    readonly apiPort: number,
    readonly httpPort: number,
    readonly httpsPort: number,
    readonly proxyProtocolPort: number,
    readonly keyPrefix: string,
    extraEnv: Record<string, string>,
  ) {
    this.env = {
      PATH: process.env.PATH ?? '',
      // The suite's Redis (REDIS_URL, or REDIS_CLUSTER_NODES on a cluster run), unless the suite
      // brings its own Redis (then only that one: REDIS_CLUSTER_NODES would win over REDIS_URL).
      ...(ownRedis(extraEnv) ? {} : testRedisEnv()),
      REDIS_KEY_PREFIX: keyPrefix,
      ADMIN_TOKEN: this.adminToken,
      API_PORT: String(apiPort),
      API_BIND: '127.0.0.1',
      HTTP_PORT: String(httpPort),
      HTTPS_PORT: String(httpsPort),
      PROXY_PROTOCOL_PORT: String(proxyProtocolPort),
      PUBLIC_BIND: '127.0.0.1',
      BASE_DOMAIN: 'example.test',
      LOG_LEVEL: 'warn',
      CONFIG_POLL_SECONDS: '2',
      STORAGE_ENCRYPTION_KEY: TEST_STORAGE_ENCRYPTION_KEY,
      // Tests never reach the internet: certificates only when a suite asks (with Pebble), and an
      // accidental order fails at once on a closed loopback port instead of calling Let's Encrypt.
      AUTO_CERTIFICATES: 'false',
      ACME_DIRECTORY_URL: 'https://127.0.0.1:9/directory',
      ACME_STAGING_URL: 'https://127.0.0.1:9/directory',
      ...(process.env.TEST_OAUTH_JWT_PRIVATE_KEY_B64
        ? { OAUTH_JWT_PRIVATE_KEY_B64: process.env.TEST_OAUTH_JWT_PRIVATE_KEY_B64 }
        : {}),
      ...extraEnv,
    };
  }

  static async start(options: ServerOptions = {}): Promise<ServerProcess> {
    // A port that was free when picked can be taken by a parallel suite before the server binds it:
    // then pick new ports (start() owns them; after prepare() the caller may have used them in env).
    for (let attempt = 1; ; attempt++) {
      const server = await ServerProcess.prepare(options);
      try {
        await server.launch();
        return server;
      } catch (error) {
        if (attempt >= 3 || !/EADDRINUSE/.test((error as Error).message)) throw error;
      }
    }
  }

  /**
   * Picks the ports and builds the environment without starting, so a test can use the ports in
   * settings first (e.g. `server.env.OAUTH_ISSUER = server.apiUrl`), then `launch()`.
   */
  static async prepare(options: ServerOptions = {}): Promise<ServerProcess> {
    if (!existsSync(SERVER_MAIN))
      throw new Error(`${SERVER_MAIN} is missing: run "npm test" (it builds) or "npx nest build server"`);
    const prefix = options.keyPrefix ?? `${process.env.TEST_REDIS_PREFIX ?? 'test'}-${randomBytes(3).toString('hex')}`;
    return new ServerProcess(
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
      prefix,
      options.env ?? {},
    );
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  get logs(): string {
    return this.output;
  }

  /** Process id of the running server (undefined when stopped). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts (or restarts) the process and waits until /health answers. */
  async launch(): Promise<void> {
    this.output = '';
    const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, SERVER_MAIN], {
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    await waitFor(
      'the server to answer GET /health (200, or 503 when degraded; value: its status)',
      async () => (await fetch(`${this.apiUrl}/health`)).status,
      (status) => status === 200 || status === 503,
      {
        // A bound, not a wait: a start takes 1-2 s, but up to ~25 s was seen with the suite's other
        // workers and image builds sharing two cores.
        timeoutMs: 45_000,
        intervalMs: 100,
        giveUpIf: () => child.exitCode !== null && `the server exited with ${child.exitCode}`,
        details: () => `server output:\n${this.output}`,
      },
    );
  }

  /** JSON request to the admin API; `token` defaults to the admin token, `null` sends none. */
  async api<T = unknown>(
    method: string,
    path: string,
    options: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> {
    const token = options.token === undefined ? this.adminToken : options.token;
    const headers: Record<string, string> = { ...options.headers };
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    }
    const res = await fetch(`${this.apiUrl}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return child?.exitCode ?? null;
    return new Promise((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
      child.kill(signal);
    });
  }
}

function ownRedis(env: Record<string, string>): boolean {
  return ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'].some((name) => name in env);
}

/** Runs the built server once with the given environment and returns its exit code and output. */
export async function runServerExpectingExit(
  env: Record<string, string>,
  timeoutMs = 15_000,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, SERVER_MAIN], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not exit within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
