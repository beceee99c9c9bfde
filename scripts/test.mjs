#!/usr/bin/env node
// `npm test`: installs what the tests need, builds, type-checks, lints, then runs jest (unit and
// end-to-end). Jest's global setup starts the real services (Redis, ...) and stops them after.
import { createHash } from 'node:crypto';
import { NODE_LTS_VERSION, nodeLtsBinary } from './lib/node-lts.mjs';
import { ensureBuilt, ensureCommands, ensureNodeModules, root, run, withNodeOnPath } from './lib/system.mjs';

// The suite runs on the Node LTS: the machine's Node when it is that major, else the official
// binary from the npm registry's node-linux-* package, downloaded once into .cache/.
const nodeLts = nodeLtsBinary();
if (nodeLts !== process.execPath)
  console.log(`Node ${process.versions.node} here: the tests run on Node ${NODE_LTS_VERSION} (${nodeLts})`);
ensureNodeModules(nodeLts);
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
  // the container test builds its base images from Debian's mirror (scripts/lib/base-images.mjs)
  debootstrap: 'debootstrap',
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
  // The dashboard's browser JavaScript, checked from its JSDoc.
  run(`${root}/node_modules/.bin/tsc`, ['-p', 'libs/dashboard/public/tsconfig.json']);
  run(`${root}/node_modules/.bin/prettier`, ['--check', '--log-level=warn', '.']);
  run(`${root}/node_modules/.bin/eslint`, [
    '--max-warnings=0',
    '{apps,libs,test}/**/*.ts',
    'libs/dashboard/public/*.js',
  ]);
  run(nodeLts, [`${root}/scripts/depgraph.mjs`]); // module layers and the generated graph (docs/module-graph.md)
}
// The container images (test/operator/docker.e2e-spec.ts), built before jest so the minutes of a
// first build never overlap other suites' timeouts; the suite then finds them cached. The tag is
// the one test/support/images.ts uses (one per worktree). A failure here is reported by that suite.
if (!clusterOnly) {
  const tag = `mcp-https-proxy:e2e-${createHash('sha256').update(root).digest('hex').slice(0, 8)}`;
  const started = Date.now();
  try {
    run(nodeLts, [`${root}/scripts/build-images.mjs`, '--tag', tag], { env: withNodeOnPath(nodeLts) });
    console.log(`Container images ready in ${Math.round((Date.now() - started) / 1000)} s`);
  } catch (error) {
    console.error(
      `Building the container images failed (${error.message}); test/operator/docker.e2e-spec.ts will fail with the details.`,
    );
  }
}
const passes = [
  // Unit specs and the e2e project against one redis-server, on the Node LTS: jest first on PATH,
  // so jest and every server or CLI child it starts (process.execPath) run on it.
  ...(clusterOnly
    ? []
    : [{ name: `unit + e2e (standalone Redis, Node ${NODE_LTS_VERSION})`, args: [], env: withNodeOnPath(nodeLts) }]),
  // The e2e project again against a six-node Redis Cluster (test/support/global-setup.ts starts it;
  // jest.config.js lists the few suites left out of this pass and why), also on the Node LTS: the
  // native add-ons npm ci built are for its ABI.
  {
    name: `e2e on a Redis Cluster (Node ${NODE_LTS_VERSION})`,
    args: ['--selectProjects', 'e2e'],
    env: { ...withNodeOnPath(nodeLts), TEST_REDIS_TOPOLOGY: 'cluster' },
  },
];
const failed = [];
for (const pass of passes) {
  const started = Date.now();
  process.stdout.write(`\n=== jest: ${pass.name}\n`);
  try {
    run(`${root}/node_modules/.bin/jest`, ['--maxWorkers=2', ...pass.args, ...jestArgs], { env: pass.env });
  } catch {
    failed.push(pass.name);
  }
  process.stdout.write(
    `=== jest: ${pass.name}: ${failed.includes(pass.name) ? 'FAILED' : 'passed'} in ${Math.round((Date.now() - started) / 1000)} s\n`,
  );
}
if (failed.length > 0) {
  process.stderr.write(`failed: ${failed.join('; ')}\n`);
  process.exit(1);
}
