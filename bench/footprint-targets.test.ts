import { describe, expect, it } from 'vitest';
import { footprintChecks, median } from './footprint-targets.ts';
import type { Results } from './results.ts';
import type { FootprintRun } from './suites/footprint.ts';

const MiB = 2 ** 20;
const idle = (tool: FootprintRun['tool'], rss: number): FootprintRun => ({
  tool,
  seconds: 10,
  cpuSeconds: 0,
  cpuPercent: 0,
  rssBytes: rss * MiB,
  rssPeakBytes: rss * MiB,
});

function results(footprint: Results['footprint']): Results {
  return {
    mode: 'full',
    date: '',
    durationSeconds: 0,
    machine: {} as Results['machine'],
    versions: {},
    pinning: '',
    contention: {},
    footprint,
  };
}

describe('footprintChecks', () => {
  it('judges idle memory against the bare Node process of the same run, not a fixed figure', () => {
    const check = (sidecar: number, node: number) =>
      footprintChecks(
        results({
          idle: [idle('logward', sidecar), idle('node', node)],
          loaded: [],
          loadedRateMBs: undefined,
        }),
      )[0]!;
    expect(check(57, 44)).toMatchObject({ met: true, measured: expect.stringContaining('1.30x') });
    expect(check(58, 44)).toMatchObject({ met: false, measured: expect.stringContaining('1.32x') });
    expect(check(70, 55)).toMatchObject({ met: true });
  });

  it('reports the heavy writer peak and first sweep, and says when they were not measured', () => {
    const [, heavy, first] = footprintChecks(
      results({
        idle: [],
        loaded: [],
        loadedRateMBs: undefined,
        firstSweepMs: [420, 180, 250],
        firstSweepCpuMs: [150, 140, 160],
        heavy: {
          rateMBs: 50,
          writtenMBs: 30,
          seconds: 40,
          limit: '1Gi',
          cpuSeconds: 20,
          rssPeakBytes: 97 * MiB,
          caps: 9,
          failures: 0,
        },
      }),
    );
    expect(heavy).toMatchObject({ met: false, note: 'the writer reached 30.0 MB/s of the 50 asked' });
    expect(first).toMatchObject({ met: true, measured: expect.stringContaining('median 250 ms') });
    expect(footprintChecks(results(undefined)).map((c) => c.met)).toEqual([undefined, undefined, undefined]);
  });

  it('takes the median of an odd or even number of trials', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeUndefined();
  });
});
