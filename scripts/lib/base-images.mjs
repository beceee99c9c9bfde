// The base images, built without any image registry (none may be reachable): a Node image
// (Debian bookworm from Debian's package mirror by debootstrap, Node LTS and npm from the npm
// registry) and a Redis image (Debian's redis-server package), imported with `docker import`. They
// are cached on the Docker Engine under a tag that holds a hash of their recipe (this file and the
// pinned versions): built once per change. product-image.mjs builds the Dockerfile FROM the first.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NODE_LTS_VERSION, NPM_VERSION, cacheDir, nodePlatformPackage, unpackFromRegistry } from './node-lts.mjs';

/** The stable names the Dockerfile and docker-compose.yml use by default. */
export const BASE_IMAGE_ALIAS = `mcp-https-proxy-base:${NODE_LTS_VERSION.split('.')[0]}-bookworm`;
export const REDIS_IMAGE_ALIAS = 'mcp-https-proxy-redis:7-bookworm';
const DEBIAN_MIRROR = process.env.DEBIAN_MIRROR || 'http://deb.debian.org/debian';
const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function recipeHash() {
  const hash = createHash('sha256');
  hash.update(readFileSync(new URL(import.meta.url)));
  hash.update(`${NODE_LTS_VERSION} ${NPM_VERSION} ${process.arch}`);
  return hash.digest('hex').slice(0, 12);
}

/** The exact tags of this recipe's base images (the aliases point at the newest built). */
export function baseImageTags() {
  const hash = recipeHash();
  return {
    base: `mcp-https-proxy-base:${NODE_LTS_VERSION}-bookworm-${hash}`,
    redis: `mcp-https-proxy-redis:7-bookworm-${hash}`,
  };
}

export function sh(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
  if (result.status !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} failed (${result.status ?? result.signal}): ${(result.stderr || result.stdout || '').slice(-3000)}`,
    );
  return result.stdout;
}

export function imageExists(tag) {
  return spawnSync('docker', ['image', 'inspect', tag], { stdio: 'ignore' }).status === 0;
}

/** debootstrap a minimal bookworm into a fresh folder (needs root and the debootstrap package). */
function debootstrap(include) {
  if (process.getuid?.() !== 0) throw new Error('building the base images needs root (debootstrap); run as root');
  const debs = join(cacheDir, 'debootstrap');
  mkdirSync(debs, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'mcp-https-proxy-rootfs-'));
  sh('debootstrap', [
    '--variant=minbase',
    `--include=${include.join(',')}`,
    `--cache-dir=${debs}`,
    'bookworm',
    dir,
    DEBIAN_MIRROR,
  ]);
  // What apt needs only to install more: images built FROM these run `apt-get update` first.
  for (const junk of ['var/lib/apt/lists', 'var/cache/apt/archives', 'var/log'])
    sh('find', [join(dir, junk), '-mindepth', '1', '-type', 'f', '-delete']);
  rmSync(join(dir, 'etc', 'resolv.conf'), { force: true });
  return dir;
}

function importRootfs(dir, tag, changes) {
  sh('bash', [
    '-o',
    'pipefail',
    '-c',
    'dir="$1" tag="$2"; shift 2; tar --numeric-owner -C "$dir" -c . | docker import "$@" - "$tag" >/dev/null',
    'import',
    dir,
    tag,
    ...changes.flatMap((c) => ['--change', c]),
  ]);
}

function buildBaseImage(tag) {
  const dir = debootstrap(['ca-certificates']);
  try {
    const node = unpackFromRegistry(
      `${nodePlatformPackage()}@${NODE_LTS_VERSION}`,
      join(cacheDir, `node-v${NODE_LTS_VERSION}`),
    );
    const npm = unpackFromRegistry(`npm@${NPM_VERSION}`, join(cacheDir, `npm-v${NPM_VERSION}`));
    copyFileSync(join(node, 'bin', 'node'), join(dir, 'usr', 'local', 'bin', 'node'));
    chmodSync(join(dir, 'usr', 'local', 'bin', 'node'), 0o755);
    mkdirSync(join(dir, 'usr', 'local', 'lib', 'node_modules'), { recursive: true });
    sh('cp', ['-a', npm, join(dir, 'usr', 'local', 'lib', 'node_modules', 'npm')]);
    for (const bin of ['npm', 'npx'])
      symlinkSync(`../lib/node_modules/npm/bin/${bin}-cli.js`, join(dir, 'usr', 'local', 'bin', bin));
    // The unprivileged user the product image runs as (uid 1000, as in the official node images).
    sh('chroot', [dir, 'groupadd', '--gid', '1000', 'node']);
    sh('chroot', [dir, 'useradd', '--uid', '1000', '--gid', 'node', '--shell', '/bin/bash', '--create-home', 'node']);
    const version = sh('chroot', [dir, '/usr/local/bin/node', '--version']).trim();
    if (version !== `v${NODE_LTS_VERSION}`)
      throw new Error(`the base image's node says ${version}, expected v${NODE_LTS_VERSION}`);
    importRootfs(dir, tag, [`ENV ${PATH_ENV}`, `ENV NODE_VERSION=${NODE_LTS_VERSION}`, 'CMD ["node"]']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function buildRedisImage(tag) {
  const dir = debootstrap(['redis-server']);
  try {
    mkdirSync(join(dir, 'data'));
    sh('chroot', [dir, 'chown', 'redis:redis', '/data']);
    // Like the official redis image: as the redis user, data in /data, reachable on the container
    // network (docker-compose.yml sets a password).
    importRootfs(dir, tag, [
      `ENV ${PATH_ENV}`,
      'USER redis',
      'WORKDIR /data',
      'VOLUME /data',
      'EXPOSE 6379',
      'CMD ["redis-server", "--protected-mode", "no"]',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Builds the base images this recipe describes when the Docker Engine lacks them, and points the
 * aliases at them. Returns their exact tags and the seconds each build took (0: cached).
 */
export function ensureBaseImages({ log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  const tags = baseImageTags();
  const seconds = {};
  for (const [kind, build, alias] of [
    ['base', buildBaseImage, BASE_IMAGE_ALIAS],
    ['redis', buildRedisImage, REDIS_IMAGE_ALIAS],
  ]) {
    const started = Date.now();
    if (!imageExists(tags[kind])) {
      log(`Building ${tags[kind]} (debootstrap from ${DEBIAN_MIRROR}; a minute or two)...`);
      build(tags[kind]);
    }
    seconds[kind] = Math.round((Date.now() - started) / 100) / 10;
    sh('docker', ['tag', tags[kind], alias]);
  }
  return { ...tags, seconds };
}
