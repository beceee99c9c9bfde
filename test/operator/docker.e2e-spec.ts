import { spawnSync } from 'node:child_process';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/ports';
import { runCliProcess } from '../support/cli-process';
import { SERVER_NODE_FLAGS } from '../support/server-process';
import { testRedisEnv } from '../support/test-redis';
import { waitFor } from '../support/wait';

const ROOT = join(__dirname, '..', '..');
const NODE_IMAGE = 'node:20-bookworm-slim';

/** `docker compose` (plugin) when present, else Debian's `docker-compose`. */
function composeCommand(): string[] {
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) return ['docker', 'compose'];
  return ['docker-compose'];
}

function compose(dir: string, args: string[], env: Record<string, string> = {}) {
  const [cmd, ...pre] = composeCommand();
  return spawnSync(cmd, [...pre, '-f', join(dir, 'docker-compose.yml'), ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });
}

/** A copy of docker-compose.yml with its own .env, so no real .env is read or written. */
function composeDir(envFile: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'compose-'));
  copyFileSync(join(ROOT, 'docker-compose.yml'), join(dir, 'docker-compose.yml'));
  writeFileSync(join(dir, '.env'), envFile);
  return dir;
}

describe('docker-compose.yml', () => {
  it('validates with compose config and resolves the production settings', () => {
    const dir = composeDir('ADMIN_TOKEN=acm_compose_0123456789abcdef\nREDIS_PASSWORD=compose-secret\nBASE_DOMAIN=example.com\nAPI_BIND=127.0.0.1\n');
    try {
      const result = compose(dir, ['config']);
      expect({ status: result.status, stderr: result.stderr.replace(/^.*(warn|Warn|WARN).*\n/gm, '') }).toEqual({ status: 0, stderr: '' });
      const out = result.stdout;
      // The admin port only on the host's loopback, the public ports on every interface.
      expect(out).toMatch(/127\.0\.0\.1:9000:9000/);
      expect(out).toMatch(/published: "?80"?\s+target: 80/);
      expect(out).toMatch(/published: "?443"?\s+target: 443/);
      // .env's loopback API_BIND is overridden inside the container.
      expect(out).toMatch(/API_BIND: 0\.0\.0\.0/);
      expect(out).toMatch(/REDIS_URL: redis:\/\/redis:6379\/0/);
      expect(out).toMatch(/BASE_DOMAIN: example\.com/);
      expect(out).toMatch(/--requirepass "\$\$REDIS_PASSWORD" --appendonly yes/);
      expect(out).toMatch(/condition: service_healthy/);
      expect(out.match(/restart: unless-stopped/g)).toHaveLength(2);
      expect(out.match(/healthcheck:/g)).toHaveLength(2);
      expect(out).toMatch(/redis-data:\/data/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to resolve without the required secrets, naming the missing one', () => {
    const dir = composeDir('REDIS_PASSWORD=compose-secret\n');
    try {
      const result = compose(dir, ['config']);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('set ADMIN_TOKEN in .env');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

  it('builds in stages and runs the built server as a non-root user with a health check', () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(3);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    // The launch flags (apps/server/node-flags.json) between node and the entry point: node-flags.e2e-spec.
    expect(dockerfile).toMatch(/^CMD \["node", ("--[^"]+", )*"dist\/apps\/server\/main\.js"\]$/m);
  });

  it('runs the built server and CLI with production dependencies only (what the image installs)', async () => {
    // The image's "npm ci --omit=dev", offline: hard-link copies of the lock file's non-dev packages
    // next to a copy of dist/, so a runtime import of a devDependency fails here as in the image.
    const dir = mkdtempSync(join(tmpdir(), 'prod-deps-'));
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    for (const [path, meta] of Object.entries(lock.packages)) {
      if (meta.dev || !/^node_modules\/(@[^/]+\/)?[^/]+$/.test(path) || !existsSync(join(ROOT, path))) continue;
      mkdirSync(join(dir, path, '..'), { recursive: true });
      expect(spawnSync('cp', ['-al', join(ROOT, path), join(dir, path)]).status).toBe(0);
    }
    expect(existsSync(join(dir, 'node_modules', 'jest'))).toBe(false);
    expect(existsSync(join(dir, 'node_modules', '@nestjs', 'core'))).toBe(true);
    mkdirSync(join(dir, 'dist', 'apps'), { recursive: true });
    for (const app of ['server', 'cli']) expect(spawnSync('cp', ['-r', join(ROOT, 'dist', 'apps', app), join(dir, 'dist', 'apps', app)]).status).toBe(0);

    const port = await freePort();
    const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, join(dir, 'dist', 'apps', 'server', 'main.js')], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        ...testRedisEnv(),
        REDIS_KEY_PREFIX: `${process.env.TEST_REDIS_PREFIX}-prod`,
        ADMIN_TOKEN: 'acm_prod_deps_0123456789abcdef',
        API_PORT: String(port),
        HTTP_PORT: String(await freePort()),
        HTTPS_PORT: String(await freePort()),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    try {
      const status = await waitFor('the production build to answer GET /health', async () => (await fetch(`http://127.0.0.1:${port}/health`)).status, (s) => s === 200, {
        timeoutMs: 20_000,
        intervalMs: 100,
        giveUpIf: () => child.exitCode !== null && `it exited with ${child.exitCode}`,
        details: () => `its output:\n${output}`,
      });
      expect({ status, exit: child.exitCode, output: status === 200 ? '' : output }).toEqual({ status: 200, exit: null, output: '' });
      // The dashboard files came along with dist/, and the CLI needs no package at all.
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
      const cli = await runCliProcess(['token', 'me', '--json'], { PROXY_API_URL: `http://127.0.0.1:${port}`, ADMIN_TOKEN: 'acm_prod_deps_0123456789abcdef' });
      expect(JSON.parse(cli.stdout)).toMatchObject({ is_admin: true });
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  // Building needs a running Docker Engine and the base image already on it: the tests never pull
  // from a registry (no internet). Elsewhere this test is skipped and says why.
  const engine = spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
  const baseImage = engine && spawnSync('docker', ['image', 'inspect', NODE_IMAGE], { stdio: 'ignore' }).status === 0;
  if (!baseImage) {
    process.stderr.write(
      `[docker.e2e-spec] skipping the image build: ${engine ? `base image ${NODE_IMAGE} is not on the local Docker Engine (tests never pull)` : 'no Docker Engine reachable'}\n`,
    );
  }
  (baseImage ? it : it.skip)('builds the image and answers /health from the container', async () => {
    const tag = `mcp-https-proxy:test-${process.pid}`;
    const build = spawnSync('docker', ['build', '--pull=false', '-t', tag, ROOT], { encoding: 'utf8', timeout: 600_000 });
    expect({ status: build.status, stderr: build.status === 0 ? '' : build.stderr.slice(-2000) }).toEqual({ status: 0, stderr: '' });
    const port = await freePort();
    const name = `proxy-test-${process.pid}`;
    const run = spawnSync(
      'docker',
      ['run', '-d', '--rm', '--name', name, '--network', 'host', '-e', `API_PORT=${port}`, ...Object.entries(testRedisEnv()).flatMap(([name, value]) => ['-e', `${name}=${value}`]), '-e', `REDIS_KEY_PREFIX=${process.env.TEST_REDIS_PREFIX}-docker`, '-e', 'ADMIN_TOKEN=acm_docker_0123456789abcdef', '-e', 'HTTP_PORT=0', '-e', 'HTTPS_PORT=0', tag],
      { encoding: 'utf8' },
    );
    expect(run.status).toBe(0);
    try {
      const health = await waitFor('the container to answer GET /health with 200', async () => {
        const res = await fetch(`http://127.0.0.1:${port}/health`);
        return { status: res.status, body: (await res.json()) as { status: string } };
      }, (res) => res.status === 200, { timeoutMs: 20_000, intervalMs: 200 }).then((res) => res.body);
      expect(health).toMatchObject({ status: 'ok' });
      const user = spawnSync('docker', ['exec', name, 'id', '-un'], { encoding: 'utf8' });
      expect(user.stdout.trim()).toBe('node');
    } finally {
      spawnSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
      spawnSync('docker', ['rmi', '-f', tag], { stdio: 'ignore' });
    }
  }, 660_000);
});
