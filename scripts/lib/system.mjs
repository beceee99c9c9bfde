// Helpers shared by the start, test and bench scripts: run commands, install Debian packages.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, statSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const root = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

export function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...options });
  if (result.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed with ${result.status ?? result.signal}`);
  }
}

export function hasCommand(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
let aptUpdated = false;

/**
 * Makes sure each command exists, installing its Debian package with apt-get when running as root.
 * `wanted` maps a command name to the package that provides it.
 */
export function ensureCommands(wanted) {
  const missing = Object.entries(wanted).filter(([cmd]) => !hasCommand(cmd));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map(([, pkg]) => pkg))];
  if (!isRoot || !hasCommand('apt-get')) {
    console.error(
      `Missing: ${missing.map(([c]) => c).join(', ')}. Install them with:\n  sudo apt-get install -y ${packages.join(' ')}`,
    );
    process.exit(1);
  }
  console.log(`Installing ${packages.join(' ')} with apt-get...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    run('apt-get', ['update', '-qq'], { env });
    aptUpdated = true;
  }
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { env });
}

/**
 * Installs npm dependencies when node_modules is missing or older than the lock file. With `node`
 * (another Node binary than this one), npm runs under it: the engines checks then see that Node.
 */
export function ensureNodeModules(node = process.execPath) {
  const lock = join(root, 'package-lock.json');
  const modules = join(root, 'node_modules');
  const marker = join(modules, '.package-lock.json');
  if (existsSync(marker) && (!existsSync(lock) || statSync(marker).mtimeMs >= statSync(lock).mtimeMs)) return;
  // A git worktree sharing another checkout's install: npm ci would empty that install through the link.
  if (existsSync(modules) && lstatSync(modules).isSymbolicLink()) {
    console.log('node_modules is a link to another install: not reinstalling it (run npm ci where it lives)');
    return;
  }
  console.log(`Installing npm dependencies (npm ci${node === process.execPath ? '' : ` on Node ${node}`})...`);
  const args = [existsSync(lock) ? 'ci' : 'install', '--no-audit', '--no-fund'];
  // npm's own script (set when run through npm), under the chosen Node; else the npm on PATH.
  const npmCli = process.env.npm_execpath;
  if (node !== process.execPath && npmCli?.endsWith('.js')) {
    // Native add-ons compile against that Node's headers (its package ships them in include/node),
    // not a system-wide nodedir such as Debian's /usr (the machine's older Node).
    const nodedir = dirname(dirname(node));
    const headers = existsSync(join(nodedir, 'include', 'node', 'node.h')) ? { npm_config_nodedir: nodedir } : {};
    run(node, [npmCli, ...args], { env: { ...withNodeOnPath(node), ...headers } });
  } else run('npm', args);
}

/** The environment with `node`'s folder first on PATH: scripts and `#!/usr/bin/env node` tools run under it. */
export function withNodeOnPath(node, env = process.env) {
  return { ...env, PATH: `${dirname(node)}:${env.PATH ?? ''}` };
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** The V8 flags the server is launched with (apps/server/node-flags.json says why). */
export const SERVER_NODE_FLAGS = JSON.parse(
  readFileSync(join(root, 'apps', 'server', 'node-flags.json'), 'utf8'),
).flags;

/** Builds the given Nest apps when their output is missing or older than any source file. */
export function ensureBuilt(apps) {
  const sources = Math.max(
    ...['apps', 'libs'].map((d) => newestMtime(join(root, d))),
    statSync(join(root, 'package.json')).mtimeMs,
  );
  for (const app of apps) {
    const output = join(root, 'dist', 'apps', app, 'main.js');
    if (existsSync(output) && statSync(output).mtimeMs >= sources) continue;
    console.log(`Building ${app}...`);
    run(join(root, 'node_modules', '.bin', 'nest'), ['build', app]);
  }
}
