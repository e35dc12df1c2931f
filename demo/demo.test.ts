import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { PhaseResult } from './render.ts';
import { progressLine, summaryTable, verdict } from './render.ts';

const run = promisify(execFile);
const MiB = 1024 * 1024;

describe('logward demo', () => {
  it('shows the limit exceeded without Logward and held with it, then the injected pod spec', async () => {
    const { stdout } = await run(
      process.execPath,
      ['cli/logward.ts', 'demo', '--size-limit=24Mi', '--rate=8Mi', '--duration=6s', '--day=1s', '--json'],
      { cwd: new URL('..', import.meta.url).pathname, timeout: 60_000 },
    );
    const results: PhaseResult[] = JSON.parse(stdout.trim().split('\n').at(-1)!);
    const [without, withLogward] = results;
    expect(without?.overLimitAtMs).toBeGreaterThan(0);
    expect(without!.peakBytes).toBeGreaterThan(24 * MiB);
    expect(withLogward?.overLimitAtMs).toBeUndefined();
    expect(withLogward!.peakBytes).toBeLessThan(24 * MiB);
    expect(withLogward!.compressedFiles).toBeGreaterThan(0);
    expect(stdout).toContain('kubelet evicts the pod at its next volume check');
    expect(stdout).toMatch(/\| kubelet eviction +\| yes +\| no +\|/);
    expect(stdout).toContain('name: logward-sidecar');
  });
});

describe('demo rendering', () => {
  const phase = (over: number | undefined): PhaseResult => ({
    title: over === undefined ? 'with Logward' : 'without Logward',
    withSidecar: over === undefined,
    limitBytes: 200 * MiB,
    durationMs: 20_000,
    bytesWritten: 240 * MiB,
    peakBytes: over === undefined ? 150 * MiB : 230 * MiB,
    finalBytes: 100 * MiB,
    overLimitAtMs: over,
    msOverLimit: over === undefined ? 0 : 2400,
    compressedFiles: over === undefined ? 7 : 0,
    compressedBytes: over === undefined ? 21 * MiB : 0,
    days: 7,
  });

  it('draws usage against the limit as a bar, marking an overflow', () => {
    expect(progressLine('demo', 100 * MiB, 200 * MiB, 'x', 10)).toBe(
      'demo             [#####.....]   100Mi / 200Mi   50%  x',
    );
    expect(progressLine('demo', 260 * MiB, 200 * MiB, '', 10)).toContain(
      '[##########]   260Mi / 200Mi  130% OVER LIMIT',
    );
  });

  it('says when kubelet would evict, or that it would not', () => {
    expect(verdict(phase(12_300))).toBe(
      'Usage crossed the 200Mi limit after 12.3s. kubelet evicts the pod at its next volume check (about once a minute), and every log goes with it.',
    );
    expect(verdict(phase(undefined))).toBe(
      'Usage stayed under the 200Mi limit (peak 150Mi, 75%): no eviction.',
    );
  });

  it('tabulates both phases side by side', () => {
    expect(summaryTable([phase(12_300), phase(undefined)]).split('\n')).toEqual([
      '|                     | without Logward | with Logward  |',
      '|---------------------|-----------------|---------------|',
      '| written by the app  | 240Mi           | 240Mi         |',
      '| peak usage          | 230Mi (115%)    | 150Mi (75%)   |',
      '| time over the limit | 2.4s            | 0.0s          |',
      '| kubelet eviction    | yes             | no            |',
      '| compressed history  | 0 files, 0B     | 7 files, 21Mi |',
    ]);
  });
});
