import { defineConfig } from 'vitest/config';

// The unit tier: pure logic on synthetic input and the monitor on a fake binding (test/unit-*.test.ts),
// with no addon, no simulated NVML, no wall clock and no compile step (the full suite's global setup
// compiles src/ for the CLI tests). `npm run test:unit`; `npm test` runs these too, with everything else.
export default defineConfig({
  test: {
    include: ['test/unit-*.test.ts'],
    pool: 'forks',
    testTimeout: 20_000,
  },
});
