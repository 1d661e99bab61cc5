import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The simulated GPU is timing-based and each file's monitors run a native sampler thread beside a
    // busy workload: on a 2-core machine, files run one at a time so that they do not starve each other.
    fileParallelism: false,
    maxWorkers: 1,
  },
});
