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
  '^.+/node_modules/oauth4webapi/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', target: 'ES2022' }, isolatedModules: true }],
};
module.exports = {
  testTimeout: 30000,
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
      moduleNameMapper,
      transform: e2eTransform,
      transformIgnorePatterns: ['/node_modules/(?!oauth4webapi/)'],
    },
  ],
};
