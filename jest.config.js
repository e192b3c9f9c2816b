/** @type {import('jest').Config} */
module.exports = {
  // Transpile only: `npm test` type-checks sources, scripts and tests once with
  // tsconfig.test.json first, instead of ts-jest checking them again per file.
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true }] },
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
