import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { PhaseResult } from './render.ts';
import { type AppTotals, startSimulatedApp } from './simulated-app.ts';
import { measureUsage, type Usage } from './usage.ts';

const LOGWARD = fileURLToPath(new URL('../cli/logward.ts', import.meta.url));
const SAMPLE_MS = 200;

export interface PhaseOptions {
  title: string;
  dir: string;
  withSidecar: boolean;
  limitBytes: number;
  sizeLimit: string;
  durationMs: number;
  bytesPerSecond: number;
  msPerDay: number;
  /** Without the sidecar the phase ends early once usage is this far over the limit: the point is made. */
  stopAtShare: number;
  onSample: (usage: Usage, elapsedMs: number) => void;
}

/** One run of the simulated app, with or without the real sidecar process beside it. */
export async function runPhase(options: PhaseOptions): Promise<PhaseResult> {
  await mkdir(options.dir, { recursive: true });
  const sidecar = options.withSidecar
    ? startSidecar(options.dir, options.sizeLimit, options.msPerDay)
    : undefined;
  const app = startSimulatedApp({
    dir: options.dir,
    bytesPerSecond: options.bytesPerSecond,
    msPerDay: options.msPerDay,
    spillBytes: Math.max(1024 * 1024, options.limitBytes / 8),
    firstDay: new Date('2021-01-04T00:00:00Z'),
  });
  const started = Date.now();
  let peakBytes = 0;
  let overLimitAtMs: number | undefined;
  let msOverLimit = 0;
  let last: Usage = { bytes: 0, compressedFiles: 0, compressedBytes: 0 };
  let totals: AppTotals;
  try {
    while (Date.now() - started < options.durationMs) {
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
      const elapsed = Date.now() - started;
      last = await measureUsage(options.dir);
      peakBytes = Math.max(peakBytes, last.bytes);
      if (last.bytes > options.limitBytes) {
        overLimitAtMs ??= elapsed;
        msOverLimit += SAMPLE_MS;
      }
      options.onSample(last, elapsed);
      if (!options.withSidecar && last.bytes > options.limitBytes * options.stopAtShare) break;
    }
  } finally {
    totals = await app.stop();
    await stopSidecar(sidecar);
  }
  last = await measureUsage(options.dir);
  return {
    title: options.title,
    withSidecar: options.withSidecar,
    limitBytes: options.limitBytes,
    durationMs: Date.now() - started,
    bytesWritten: totals.bytesWritten,
    peakBytes,
    finalBytes: last.bytes,
    overLimitAtMs,
    msOverLimit,
    compressedFiles: last.compressedFiles,
    compressedBytes: last.compressedBytes,
    days: totals.days,
  };
}

function startSidecar(dir: string, sizeLimit: string, msPerDay: number): ChildProcess {
  // A day lasts seconds here, so "closed" and the sweep are scaled down to match.
  const closedAfter = `${Math.max(1, Math.round(msPerDay / 2000))}s`;
  return spawn(
    process.execPath,
    [
      LOGWARD,
      'sidecar',
      `--dir=${dir}`,
      `--size-limit=${sizeLimit}`,
      `--closed-after=${closedAfter}`,
      '--schedule=* * * * * *',
      '--metrics-port=0',
    ],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
}

async function stopSidecar(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
