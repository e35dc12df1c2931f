import { defineConfig } from 'vitest/config';

// Two projects so `npm run test:fast` can skip the end-to-end suite, which needs a
// control plane built from Go modules (see test/controlplane).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{cli,contract,webhook,sidecar,demo,bench}/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['test/e2e/**', '**/node_modules/**'],
          testTimeout: 30_000,
          // The sidecar's hole-map helper, built from C like its image builds it.
          globalSetup: ['sidecar/testing/build-native.ts'],
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 1_800_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
