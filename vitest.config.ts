import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real brokers, stores and browsers: generous per-test time, and at most two files at once on
    // a 2-core machine so end-to-end tests do not starve each other.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    pool: 'forks',
    reporters: ['default'],
  },
});
