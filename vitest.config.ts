import { defineConfig } from 'vitest/config';

// `npm run test:fast` skips the end-to-end suite, which needs a control plane built from Go
// modules (see test/controlplane). The node project (`npm run test:node`) needs root and runs a
// real kubelet and containerd (see test/node): `npm test` leaves it out, .ci/run runs it too.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            '{base,cli,contract,inject,kube,webhook,sidecar,demo,status,bench}/**/*.test.ts',
            'test/**/*.test.ts',
          ],
          // test/node's own *.test.ts need a real node; test/node/unit is pure.
          exclude: ['test/e2e/**', 'test/node/*.test.ts', '**/node_modules/**'],
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
      {
        test: {
          name: 'node',
          include: ['test/node/*.test.ts'],
          globalSetup: ['test/node/setup.ts'],
          testTimeout: 600_000,
          hookTimeout: 900_000,
          // One node per machine: it owns a bridge, a subnet and fixed host paths.
          fileParallelism: false,
        },
      },
    ],
  },
});
