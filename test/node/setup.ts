/**
 * Global setup of the `node` test project: builds (or finds cached) what every node test file
 * needs before any of them starts, so no test's timeout pays for a cold build, and cleans
 * after all of them, including after a test process that crashed.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildControlPlaneBinaries } from '../e2e/controlplane.ts';
import { buildNodeBinaries, requireHostTools } from './binaries.ts';
import { type BuiltImage, buildImages } from './images.ts';
import { cleanStaleRuns } from './node.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    nodeImages: Record<string, BuiltImage>;
    /** A random string put in the npm build secret only: no image layer may contain it. */
    secretMarker: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.getuid?.() !== 0)
    throw new Error('npm run test:node needs root: it runs kubelet and containerd');
  await requireHostTools();
  await cleanStaleRuns();
  const started = Date.now();
  const binaries = await buildNodeBinaries();
  await buildControlPlaneBinaries();
  const out = await mkdtemp(join(tmpdir(), 'logward-node-images-'));
  const secretMarker = `secret-${randomBytes(12).toString('hex')}`;
  const images = await buildImages(out, binaries.path('pause'), secretMarker).catch(async (error) => {
    await rm(out, { recursive: true, force: true });
    throw error;
  });
  console.log(`node tests: binaries and images ready in ${Math.round((Date.now() - started) / 1000)}s`);
  project.provide('nodeImages', images);
  project.provide('secretMarker', secretMarker);
  return async () => {
    await cleanStaleRuns({ skipLive: true });
    await rm(out, { recursive: true, force: true });
  };
}
