import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    // Many tests wait on I/O (databases, queues, child processes): more workers than cores pays off.
    maxWorkers: 3,
    // Some tests start their own app (PGlite + queue); on a busy 2-core machine that alone can take 20 s.
    testTimeout: 90_000,
    hookTimeout: 120_000,
    globalSetup: ['test/global-setup.ts'],
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      exclude: ['src/main.ts', 'src/worker.ts', 'src/cli/**'],
      reporter: ['text-summary', 'json-summary', 'lcov'],
      thresholds: { lines: 85, branches: 85, functions: 85, statements: 85 },
    },
  },
});
