import { defineConfig } from 'vitest/config';

/**
 * The chaos suite (`npm run test:chaos`): killed and stopped workers, restarted Redis and Postgres, concurrent clicks.
 * Files run one at a time: each kills or restarts something, and timings stay meaningful on a small machine.
 */
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
