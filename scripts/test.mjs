#!/usr/bin/env node
// `npm test`: installs what the tests need, builds, type-checks, lints, then runs jest (unit and
// end-to-end). Jest's global setup starts the real services (Redis, ...) and stops them after.
import { ensureBuilt, ensureCommands, ensureNodeModules, root, run } from './lib/system.mjs';

ensureNodeModules();
// Debian packages the test suite runs for real. Command name -> package.
ensureCommands({
  'redis-server': 'redis-server',
  'redis-cli': 'redis-tools',
  'redis-sentinel': 'redis-sentinel',
  pebble: 'pebble',
  'pebble-challtestsrv': 'pebble',
  openssl: 'openssl',
  dockerd: 'docker.io',
  docker: 'docker.io',
  busybox: 'busybox-static',
  chromium: 'chromium',
  'docker-compose': 'docker-compose',
  haproxy: 'haproxy',
  // the bench smoke test (test/bench): load generator and the reference proxy
  wrk: 'wrk',
  nginx: 'nginx',
  'redis-cli': 'redis-tools',
});
ensureBuilt(['server', 'cli', 'mcp-echo']);
run(`${root}/node_modules/.bin/tsc`, ['--noEmit', '-p', 'tsconfig.json']);
run(`${root}/node_modules/.bin/eslint`, ['--max-warnings=0', '{apps,libs,test}/**/*.ts']);
try {
  run(`${root}/node_modules/.bin/jest`, ['--maxWorkers=2', ...process.argv.slice(2)]);
} catch {
  process.exit(1);
}
