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
import { docker, ensureDockerEngine, ensureTestImage, TEST_IMAGE, TEST_PAGE } from '../support/docker-engine';
import { buildImages, publishedPort, waitForHealthy, type BuiltImages } from '../support/images';
import { publicRequest } from '../support/loopback';

const ROOT = join(__dirname, '..', '..');

/** `docker compose` (plugin) when present, else Debian's `docker-compose`. */
function composeCommand(): string[] {
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) return ['docker', 'compose'];
  return ['docker-compose'];
}

function compose(dir: string, args: string[], env: Record<string, string> = {}) {
  const [cmd, ...pre] = composeCommand();
  return spawnSync(cmd, [...pre, '-f', join(dir, 'docker-compose.yml'), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
  });
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
    const dir = composeDir(
      'ADMIN_TOKEN=acm_compose_0123456789abcdef\nREDIS_PASSWORD=compose-secret\nBASE_DOMAIN=example.com\nAPI_BIND=127.0.0.1\n',
    );
    try {
      const result = compose(dir, ['config']);
      expect({ status: result.status, stderr: result.stderr.replace(/^.*(warn|Warn|WARN).*\n/gm, '') }).toEqual({
        status: 0,
        stderr: '',
      });
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
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    for (const [path, meta] of Object.entries(lock.packages)) {
      if (meta.dev || !/^node_modules\/(@[^/]+\/)?[^/]+$/.test(path) || !existsSync(join(ROOT, path))) continue;
      mkdirSync(join(dir, path, '..'), { recursive: true });
      expect(spawnSync('cp', ['-al', join(ROOT, path), join(dir, path)]).status).toBe(0);
    }
    expect(existsSync(join(dir, 'node_modules', 'jest'))).toBe(false);
    expect(existsSync(join(dir, 'node_modules', '@nestjs', 'core'))).toBe(true);
    mkdirSync(join(dir, 'dist', 'apps'), { recursive: true });
    for (const app of ['server', 'cli'])
      expect(spawnSync('cp', ['-r', join(ROOT, 'dist', 'apps', app), join(dir, 'dist', 'apps', app)]).status).toBe(0);

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
      const status = await waitFor(
        'the production build to answer GET /health',
        async () => (await fetch(`http://127.0.0.1:${port}/health`)).status,
        (s) => s === 200,
        {
          timeoutMs: 20_000,
          intervalMs: 100,
          giveUpIf: () => child.exitCode !== null && `it exited with ${child.exitCode}`,
          details: () => `its output:\n${output}`,
        },
      );
      expect({ status, exit: child.exitCode, output: status === 200 ? '' : output }).toEqual({
        status: 200,
        exit: null,
        output: '',
      });
      // The dashboard files came along with dist/, and the CLI needs no package at all.
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
      const cli = await runCliProcess(['token', 'me', '--json'], {
        PROXY_API_URL: `http://127.0.0.1:${port}`,
        ADMIN_TOKEN: 'acm_prod_deps_0123456789abcdef',
      });
      expect(JSON.parse(cli.stdout)).toMatchObject({ is_admin: true });
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

/**
 * The image as users build and run it, with no image registry reachable: scripts/build-images.mjs
 * builds the Node base and Redis images from Debian's mirror and the npm registry (cached), then
 * the Dockerfile FROM that base. First build: several minutes; then cached.
 */
describe('the image, built and run without a registry', () => {
  let images: BuiltImages;
  const run = `${process.pid}`;
  const adminToken = 'acm_docker_0123456789abcdef';

  beforeAll(async () => {
    await ensureDockerEngine();
    ensureTestImage();
    images = buildImages();
    process.stderr.write(`[docker.e2e-spec] image builds (s): ${JSON.stringify(images.seconds)}\n`);
  }, 45 * 60_000);

  it('runs Node 24 as non-root, turns healthy, and proxies a target created through its API on its published port', async () => {
    const network = `mcp-e2e-${run}`;
    const names = { redis: `mcp-e2e-redis-${run}`, backend: `mcp-e2e-backend-${run}`, proxy: `mcp-e2e-proxy-${run}` };
    expect(docker(['network', 'create', network]).status).toBe(0);
    try {
      const started = Date.now();
      expect(
        docker([
          'run',
          '-d',
          '--name',
          names.redis,
          '--network',
          network,
          images.redis,
          'redis-server',
          '--requirepass',
          'docker-secret',
        ]).stderr,
      ).toBe('');
      expect(
        docker([
          'run',
          '-d',
          '--name',
          names.backend,
          '--network',
          network,
          '--network-alias',
          'backend',
          TEST_IMAGE,
          '/bin/busybox',
          'httpd',
          '-f',
          '-p',
          '80',
          '-h',
          '/www',
        ]).stderr,
      ).toBe('');
      const proxy = docker([
        'run',
        '-d',
        '--name',
        names.proxy,
        '--network',
        network,
        // Published on the host's loopback only, on ports Docker picks.
        '-p',
        '127.0.0.1::9000',
        '-p',
        '127.0.0.1::8080',
        '-e',
        `REDIS_URL=redis://${names.redis}:6379/0`,
        '-e',
        'REDIS_PASSWORD=docker-secret',
        '-e',
        `ADMIN_TOKEN=${adminToken}`,
        '-e',
        'HTTP_PORT=8080',
        '-e',
        'HTTPS_PORT=8443',
        '-e',
        'BASE_DOMAIN=example.test',
        // Never reach the internet: no certificate orders.
        '-e',
        'AUTO_CERTIFICATES=false',
        '-e',
        'ACME_DIRECTORY_URL=https://127.0.0.1:9/directory',
        images.product,
      ]);
      expect(proxy.stderr).toBe('');
      await waitForHealthy(names.proxy);
      process.stderr.write(`[docker.e2e-spec] container healthy after ${Date.now() - started} ms\n`);

      const apiPort = publishedPort(names.proxy, 9000);
      const health = await fetch(`http://127.0.0.1:${apiPort}/health`);
      expect([health.status, ((await health.json()) as { status: string }).status]).toEqual([200, 'ok']);
      expect(docker(['exec', names.proxy, 'id', '-un']).stdout.trim()).toBe('node');
      expect(docker(['exec', names.proxy, 'node', '--version']).stdout.trim()).toMatch(/^v24\./);

      const created = await fetch(`http://127.0.0.1:${apiPort}/api/v1/proxy/targets`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ hostname: 'app.example.test', target_url: 'http://backend:80' }),
      });
      expect(created.status).toBe(201);
      const res = await publicRequest({
        port: publishedPort(names.proxy, 8080),
        host: 'app.example.test',
        path: '/index.html',
      });
      expect([res.status, res.text]).toEqual([200, TEST_PAGE]);
    } finally {
      docker(['rm', '-f', ...Object.values(names)]);
      docker(['network', 'rm', network]);
    }
  }, 180_000);

  it('keeps the build-time CA certificates and dev dependencies out of the final image', () => {
    const config = JSON.parse(docker(['image', 'inspect', images.product]).stdout) as Array<{
      Config: { User: string; Healthcheck?: unknown; Env: string[] };
    }>;
    expect(config[0].Config.User).toBe('node');
    expect(config[0].Config.Healthcheck).toBeDefined();
    expect(config[0].Config.Env.join('\n')).not.toMatch(/EXTRA_CA_CERTS|NODE_EXTRA_CA_CERTS/);
    expect(docker(['history', '--no-trunc', images.product]).stdout).not.toMatch(/EXTRA_CA_CERTS|BEGIN CERTIFICATE/);
    const files = docker([
      'run',
      '--rm',
      '--network',
      'none',
      images.product,
      'sh',
      '-c',
      'ls /tmp; test -d node_modules/jest && echo jest-present; true',
    ]);
    expect(files.stdout.trim()).toBe('');
  });

  it('docker compose up: both services turn healthy with the locally built Redis and the server answers; down -v removes everything', async () => {
    const dir = composeDir(
      `ADMIN_TOKEN=${adminToken}\nREDIS_PASSWORD=compose-secret\nBASE_DOMAIN=example.test\nAUTO_CERTIFICATES=false\nACME_DIRECTORY_URL=https://127.0.0.1:9/directory\n`,
    );
    const project = `mcpe2e${run}`;
    // The images this run built, and every port on the host's loopback, picked by Docker.
    const env = {
      PROXY_IMAGE: images.product,
      REDIS_IMAGE: images.redis,
      PUBLISH_HTTP: '127.0.0.1:',
      PUBLISH_HTTPS: '127.0.0.1:',
      PUBLISH_API: '127.0.0.1:',
    };
    const started = Date.now();
    try {
      const up = compose(dir, ['-p', project, 'up', '-d', '--no-build'], env);
      expect({ status: up.status, stderr: up.status === 0 ? '' : up.stderr }).toEqual({ status: 0, stderr: '' });
      const containers = compose(dir, ['-p', project, 'ps', '-q'], env).stdout.split('\n').filter(Boolean);
      expect(containers).toHaveLength(2);
      for (const id of containers) await waitForHealthy(id);
      process.stderr.write(`[docker.e2e-spec] compose stack healthy after ${Date.now() - started} ms\n`);
      const proxyId = compose(dir, ['-p', project, 'ps', '-q', 'proxy'], env).stdout.trim();
      const health = await fetch(`http://127.0.0.1:${publishedPort(proxyId, 9000)}/health`);
      expect([health.status, ((await health.json()) as { status: string }).status]).toEqual([200, 'ok']);
      // The public listener on port 80 inside the container (the unprivileged user may bind it).
      const unknown = await publicRequest({ port: publishedPort(proxyId, 80), host: 'nobody.example.test', path: '/' });
      expect(unknown.status).toBe(404);
      expect(docker(['exec', proxyId, 'id', '-un']).stdout.trim()).toBe('node');
    } finally {
      const down = compose(dir, ['-p', project, 'down', '-v'], env);
      rmSync(dir, { recursive: true, force: true });
      expect(down.status).toBe(0);
      expect(docker(['volume', 'ls', '-q', '--filter', `name=${project}_`]).stdout.trim()).toBe('');
    }
  }, 180_000);
});
