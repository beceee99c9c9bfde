import type { ContainerInspectInfo } from 'dockerode';
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  copyFileSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from './wait';

/**
 * The real Docker Engine for the suites that need it (Debian's docker.io, installed by
 * scripts/test.mjs). `ensureDockerEngine()` uses a daemon that already answers on the socket, or
 * starts `dockerd` (as root) with its log in a file; global-teardown stops a daemon started here.
 */
export const DOCKER_SOCKET = '/var/run/docker.sock';
export const TEST_IMAGE = 'mcp-test-busybox:1';
/** What the test image serves at /index.html. */
export const TEST_PAGE = '<h1>hello from a managed busybox container</h1>\n';

function pidFile(): string {
  return join(tmpdir(), `proxy-test-dockerd-${process.env.TEST_REDIS_PREFIX ?? 'local'}.pid`);
}

/** GET /_ping on the engine socket. */
export function dockerAnswers(socketPath = DOCKER_SOCKET): Promise<boolean> {
  return new Promise((resolve) => {
    if (!existsSync(socketPath)) return resolve(false);
    const req = request({ socketPath, path: '/_ping', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export async function ensureDockerEngine(): Promise<void> {
  if (await dockerAnswers()) return;
  if (process.getuid?.() !== 0)
    throw new Error(`no Docker Engine answers on ${DOCKER_SOCKET} and starting dockerd needs root`);
  // Suites run in parallel workers: only the one that creates the lock directory starts dockerd.
  try {
    mkdirSync(`${pidFile()}.lock`);
  } catch {
    await waitUntil(`the dockerd another test worker started to answer on ${DOCKER_SOCKET}`, () => dockerAnswers(), {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'proxy-test-dockerd-'));
  const log = join(dir, 'dockerd.log');
  const child = spawn('dockerd', [], { detached: true, stdio: ['ignore', openSync(log, 'a'), openSync(log, 'a')] });
  child.unref();
  writeFileSync(pidFile(), String(child.pid));
  await waitUntil(`dockerd to answer on ${DOCKER_SOCKET}`, () => dockerAnswers(), {
    timeoutMs: 60_000,
    intervalMs: 200,
    giveUpIf: () => child.exitCode !== null && `dockerd exited with ${child.exitCode}`,
    details: () => `its log ${log}:\n${readFileSync(log, 'utf8').slice(-3000)}`,
  });
}

/** Stops the dockerd that ensureDockerEngine() started in this run, if any (called by global-teardown). */
export async function stopDockerEngineIfStarted(): Promise<void> {
  const file = pidFile();
  rmSync(`${file}.lock`, { recursive: true, force: true });
  if (!existsSync(file)) return;
  const pid = Number(readFileSync(file, 'utf8'));
  rmSync(file, { force: true });
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  // Teardown: a dockerd still shutting down after 20 s is left to finish on its own (as it always was).
  await waitUntil(`dockerd (pid ${pid}) to exit after SIGTERM`, () => !processExists(pid), {
    timeoutMs: 20_000,
    intervalMs: 200,
  }).catch(() => undefined);
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function docker(args: string[], input?: Buffer): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync('docker', args, {
    input,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, DOCKER_HOST: `unix://${DOCKER_SOCKET}` },
  });
  return { status: result.status, stdout: result.stdout?.toString() ?? '', stderr: result.stderr?.toString() ?? '' };
}

/**
 * Builds TEST_IMAGE locally (no registry): Debian's static busybox with `sh` and `httpd` links and
 * a page in /www, imported with `docker import`.
 */
export function ensureTestImage(): void {
  if (docker(['image', 'inspect', TEST_IMAGE]).status === 0) return;
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  if (!busybox) throw new Error('busybox is missing: apt-get install -y busybox-static');
  if (
    !/statically linked|static-pie/.test(spawnSync('file', ['-L', busybox]).stdout?.toString() ?? 'statically linked')
  ) {
    throw new Error(`${busybox} is not statically linked: apt-get install -y busybox-static (the image has no libc)`);
  }
  const root = mkdtempSync(join(tmpdir(), 'proxy-test-rootfs-'));
  try {
    mkdirSync(join(root, 'bin'));
    mkdirSync(join(root, 'www'));
    mkdirSync(join(root, 'tmp'));
    copyFileSync(busybox, join(root, 'bin', 'busybox'));
    spawnSync('chmod', ['755', join(root, 'bin', 'busybox')]);
    for (const link of ['sh', 'httpd', 'sleep', 'echo']) symlinkSync('busybox', join(root, 'bin', link));
    writeFileSync(join(root, 'www', 'index.html'), TEST_PAGE);
    const tar = spawnSync('tar', ['-C', root, '-c', '.'], { maxBuffer: 256 * 1024 * 1024 });
    if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr.toString()}`);
    const imported = docker(['import', '-', TEST_IMAGE], tar.stdout);
    if (imported.status !== 0) throw new Error(`docker import failed: ${imported.stderr}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Removes every container labelled with the given deployment (the server's key prefix). */
export function removeDeploymentContainers(deployment: string): void {
  const ids = docker(['ps', '-aq', '--filter', `label=io.mcp-proxy.deployment=${deployment}`])
    .stdout.split('\n')
    .filter(Boolean);
  if (ids.length > 0) docker(['rm', '-f', ...ids]);
}

export function inspectContainer(nameOrId: string): ContainerInspectInfo | null {
  const result = docker(['inspect', nameOrId]);
  if (result.status !== 0) return null;
  return (JSON.parse(result.stdout) as ContainerInspectInfo[])[0];
}
