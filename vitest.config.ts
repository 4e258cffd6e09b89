import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts', '**/*.test.tsx'],
    exclude: ['node_modules/**', 'dist/**'],
    // Integration tests spawn real child processes; two cores are shared between them.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 2,
    // Fails the run if any test (or the demo) wrote into the real HOME's caches or acode's state dir.
    // And one Hugging Face hub stand-in on loopback, exported as HF_ENDPOINT (test/global/hub.ts).
    globalSetup: ['test/global/home-guard.ts', 'test/global/hub.ts'],
  },
});
