/** @type {import('jest').Config} */
module.exports = {
  // With isolatedModules (tsconfig.json) ts-jest only transpiles: `npm test`
  // type-checks sources, scripts and tests once with tsconfig.test.json first.
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Root integration tests mount real filesystems: one file at a time keeps
  // the 2-core machine responsive and mount tables readable in failures.
  maxWorkers: 1,
  testTimeout: 120000,
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
};
