// The sidecar's footprint targets (issue 13), checked against a run: memory in the form the
// image runs, as a ratio to a bare Node process measured alongside, the peak under a heavy
// writer, and the time from start to the first sweep.
import { formatBytes, formatMs, formatNumber } from './format.ts';
import type { Results } from './results.ts';
import type { TargetCheck } from './targets.ts';

const MiB = 2 ** 20;
export const IDLE_RSS_VS_NODE = 1.3;
export const HEAVY_PEAK_BYTES = 96 * MiB;
export const FIRST_SWEEP_MS = 300;

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function footprintChecks(results: Results): TargetCheck[] {
  const f = results.footprint;
  const ours = f?.idle.find((r) => r.tool === 'logward');
  const bare = f?.idle.find((r) => r.tool === 'node');
  const flags = f?.nodeFlags?.length ? ` (both with ${f.nodeFlags.join(' ')})` : '';
  const checks: TargetCheck[] = [
    {
      target: `Idle RSS of the sidecar as its image runs it: at most ${IDLE_RSS_VS_NODE}x a bare Node process`,
      measured:
        ours && bare
          ? `${formatBytes(ours.rssBytes)} vs ${formatBytes(bare.rssBytes)}${flags}: ${formatNumber(ours.rssBytes / bare.rssBytes, 2)}x`
          : 'not measured',
      met: ours && bare ? ours.rssBytes <= IDLE_RSS_VS_NODE * bare.rssBytes : undefined,
    },
  ];
  const heavy = f?.heavy;
  checks.push({
    target: `Peak RSS with a 50 MB/s writer: at most ${formatBytes(HEAVY_PEAK_BYTES)}`,
    measured: heavy
      ? `${formatBytes(heavy.rssPeakBytes)} over ${formatNumber(heavy.seconds)} s at ${formatNumber(heavy.writtenMBs, 1)} MB/s into ${heavy.limit}, ${heavy.caps} caps`
      : 'not measured',
    met: heavy ? heavy.rssPeakBytes <= HEAVY_PEAK_BYTES : undefined,
    ...(heavy && heavy.writtenMBs < heavy.rateMBs * 0.9
      ? { note: `the writer reached ${formatNumber(heavy.writtenMBs, 1)} MB/s of the ${heavy.rateMBs} asked` }
      : {}),
  });
  const starts = f?.firstSweepMs ?? [];
  const typical = median(starts);
  const cpu = median(f?.firstSweepCpuMs ?? []);
  checks.push({
    target: `Start to first sweep: under ${FIRST_SWEEP_MS} ms`,
    measured:
      typical !== undefined
        ? `median ${formatMs(typical)}, worst ${formatMs(Math.max(...starts))} over ${starts.length} starts${cpu !== undefined ? ` (median CPU ${formatMs(cpu)})` : ''}`
        : 'not measured',
    met: typical !== undefined ? typical < FIRST_SWEEP_MS : undefined,
    note: 'from spawn to the end of a first pass that compresses one closed file; the CPU it took is what a busy machine does not inflate',
  });
  return checks;
}
