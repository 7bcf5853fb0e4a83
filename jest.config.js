/** ts-jest in ESM mode: the package is ESM-only, like Nest 12. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
  testTimeout: 30000,
  // Suites run in band: a failed test that skipped its cleanup (a scheduler still polling, a pool
  // still open) would otherwise keep the process alive after the last suite, and CI would hang
  // instead of reporting the failure.
  forceExit: true,
};
