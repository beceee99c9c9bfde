// Two projects: unit specs beside the code, end-to-end specs in test/ against real services
// that test/support/global-setup.ts starts (Redis; Docker is started by the suites that need it,
// test/support/docker-engine.ts, and stopped by global-teardown).
const moduleNameMapper = {
  '^@app/([a-z-]+)$': '<rootDir>/libs/$1/src',
  '^@app/([a-z-]+)/(.*)$': '<rootDir>/libs/$1/src/$2',
};
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json', isolatedModules: true }],
};
// oauth4webapi (the independent OAuth client of the e2e tests) ships ES modules only: ts-jest
// transpiles that one package to CommonJS.
const e2eTransform = {
  ...transform,
  '^.+/node_modules/oauth4webapi/.+\\.js$': [
    'ts-jest',
    { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022' }, isolatedModules: true },
  ],
};
// `TEST_REDIS_TOPOLOGY=cluster` (the second e2e pass of `npm test`; `npm run test:cluster`) runs
// the e2e project against a six-node Redis Cluster. The ONLY suites left out of that pass, and why
// (each of them starts a Redis of its own, so the cluster pass would only repeat the first one):
const notOnClusterRun = {
  'test/workflow/sentinel.e2e-spec.ts': 'about Sentinel: starts its own primary, replica and sentinels and fails over',
  'test/workflow/cluster.e2e-spec.ts':
    'starts its own six-node cluster (runs in the standalone pass, so both passes cover Cluster)',
  'test/foundation/health.e2e-spec.ts': 'stops and restarts a private redis-server to see /health degrade and recover',
  'test/logs/redis-pause.e2e-spec.ts': 'freezes a private redis-server (SIGSTOP) to test the request log buffer',
  'test/bench/bench-smoke.e2e-spec.ts': 'the benchmark brings its own standalone redis-server, nginx and backend',
  'test/operator/docker.e2e-spec.ts':
    "the containers bring their own Redis (the compose file's); the image build and runs are not about the topology",
};
const clusterRun = process.env.TEST_REDIS_TOPOLOGY === 'cluster';
module.exports = {
  // A bound per test (tests wait for conditions): generous, since two cores are shared by two jest
  // workers, their servers, Redis and Docker.
  testTimeout: 60000,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  projects: [
    {
      displayName: 'unit',
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts'],
      moduleNameMapper,
      transform,
    },
    {
      displayName: 'e2e',
      rootDir: __dirname,
      testEnvironment: 'node',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      testPathIgnorePatterns: [
        '/node_modules/',
        ...(clusterRun ? Object.keys(notOnClusterRun).map((path) => `<rootDir>/${path.replace(/\./g, '\\.')}$`) : []),
      ],
      moduleNameMapper,
      transform: e2eTransform,
      transformIgnorePatterns: ['/node_modules/(?!oauth4webapi/)'],
    },
  ],
};
