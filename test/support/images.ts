import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { docker } from './docker-engine';
import { waitFor } from './wait';

const ROOT = join(__dirname, '..', '..');

export interface BuiltImages {
  /** Exact tags: the Node base and Redis images (cached by recipe hash) and the product image. */
  base: string;
  redis: string;
  product: string;
  /** Seconds each build took in this run (about 0 when cached). */
  seconds: { base: number; redis: number; product: number };
}

/**
 * The images of the Dockerfile and docker-compose.yml, built as a user builds them: by
 * scripts/build-images.mjs, without any image registry. Base images are cached on the Engine; the
 * product image keeps one tag per worktree so the builder's layer cache serves the next run (scripts/test.mjs
 * builds the same tag before jest starts).
 */
export function buildImages(): BuiltImages {
  const tag = `mcp-https-proxy:e2e-${createHash('sha256').update(ROOT).digest('hex').slice(0, 8)}`;
  const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-images.mjs'), '--json', '--tag', tag], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0)
    throw new Error(
      `scripts/build-images.mjs failed (${result.status ?? result.signal}):\n${result.stderr.slice(-4000)}`,
    );
  return JSON.parse(result.stdout.trim().split('\n').pop() ?? '') as BuiltImages;
}

/**
 * Waits until the container's HEALTHCHECK reports "healthy"; fails at once when it reports
 * "unhealthy" or the container stops, and at the deadline, with the last status seen and the logs.
 */
export async function waitForHealthy(container: string, timeoutMs = 120_000): Promise<void> {
  const logs = (): string => {
    const tail = docker(['logs', '--tail', '40', container]);
    return `logs:\n${tail.stdout}${tail.stderr}`;
  };
  const state = (): string => {
    const inspected = docker([
      'inspect',
      '-f',
      '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}no-healthcheck{{end}}',
      container,
    ]);
    return inspected.status === 0 ? inspected.stdout.trim() : `inspect failed: ${inspected.stderr.trim()}`;
  };
  let last = '';
  // Health checks run every few seconds: poll the Engine's record of them, not the clock.
  await waitFor(
    `container ${container} to turn healthy`,
    () => (last = state()),
    (status) => status === 'running healthy',
    {
      timeoutMs,
      intervalMs: 500,
      giveUpIf: () =>
        last && !last.startsWith('running starting') && last !== 'running healthy' ? `it is "${last}"` : undefined,
      details: logs,
    },
  );
}

/** The host port Docker published the container's port on (`docker port`), e.g. for `-p 127.0.0.1::9000`. */
export function publishedPort(container: string, port: number): number {
  const result = docker(['port', container, `${port}/tcp`]);
  const match = /:(\d+)\s*$/m.exec(result.stdout);
  if (result.status !== 0 || !match)
    throw new Error(`container ${container} publishes no port ${port}: ${result.stdout}${result.stderr}`);
  return Number(match[1]);
}
