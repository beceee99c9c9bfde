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
// `npm run test:cluster` (= `npm test -- --cluster-only`): only the Redis Cluster pass below.
const clusterOnly = process.argv.includes('--cluster-only');
const jestArgs = process.argv.slice(2).filter((arg) => arg !== '--cluster-only');
if (!clusterOnly) {
  run(`${root}/node_modules/.bin/tsc`, ['--noEmit', '-p', 'tsconfig.json']);
  run(`${root}/node_modules/.bin/eslint`, ['--max-warnings=0', '{apps,libs,test}/**/*.ts']);
}
const passes = [
  // Unit specs and the e2e project against one redis-server.
  ...(clusterOnly ? [] : [{ name: 'unit + e2e (standalone Redis)', args: [], env: {} }]),
  // The e2e project again against a six-node Redis Cluster (test/support/global-setup.ts starts it;
  // jest.config.js lists the few suites left out of this pass and why).
  { name: 'e2e on a Redis Cluster', args: ['--selectProjects', 'e2e'], env: { TEST_REDIS_TOPOLOGY: 'cluster' } },
];
const failed = [];
for (const pass of passes) {
  const started = Date.now();
  process.stdout.write(`\n=== jest: ${pass.name}\n`);
  try {
    run(`${root}/node_modules/.bin/jest`, ['--maxWorkers=2', ...pass.args, ...jestArgs], { env: { ...process.env, ...pass.env } });
  } catch {
    failed.push(pass.name);
  }
  process.stdout.write(`=== jest: ${pass.name}: ${failed.includes(pass.name) ? 'FAILED' : 'passed'} in ${Math.round((Date.now() - started) / 1000)} s\n`);
}
if (failed.length > 0) {
  process.stderr.write(`failed: ${failed.join('; ')}\n`);
  process.exit(1);
}
