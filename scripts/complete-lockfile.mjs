#!/usr/bin/env node
// Adds lock entries for optional per-platform binary packages that npm could not record because
// this machine's registry mirror only carries the current platform's (e.g. rust-just-darwin-arm64).
// Without them `npm ci` refuses the lock ("Missing: ... from lock file"). The entries are gated by
// os/cpu, so npm never fetches them on another platform. Run after `npm install` changes the lock.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const OS = { darwin: 'darwin', linux: 'linux', windows: 'win32', win32: 'win32', freebsd: 'freebsd' };
const CPU = {
  x64: 'x64',
  arm64: 'arm64',
  arm: 'arm',
  armv7: 'arm',
  loong64: 'loong64',
  riscv64: 'riscv64',
  ia32: 'ia32',
  s390x: 's390x',
  ppc64: 'ppc64',
};
let added = 0;
for (const [key, pkg] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    const entry = `node_modules/${name}`;
    if (lock.packages[entry]) continue;
    const m = /-(darwin|linux|windows|win32|freebsd)-([a-z0-9]+)$/.exec(name);
    if (!m || !CPU[m[2]]) continue;
    lock.packages[entry] = {
      version,
      resolved: `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${version}.tgz`,
      cpu: [CPU[m[2]]],
      dev: pkg.dev || undefined,
      license: pkg.license,
      optional: true,
      os: [OS[m[1]]],
    };
    added++;
    void key;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} optional platform entries`);
