import { formatBytes } from '../contract/quantity.ts';

// What the demo prints, as pure functions of its measurements.

export interface PhaseResult {
  title: string;
  withSidecar: boolean;
  limitBytes: number;
  durationMs: number;
  bytesWritten: number;
  peakBytes: number;
  finalBytes: number;
  /** When usage first went over the limit, from the start of the phase; undefined if it never did. */
  overLimitAtMs: number | undefined;
  msOverLimit: number;
  compressedFiles: number;
  compressedBytes: number;
  days: number;
}

export function progressLine(
  label: string,
  usedBytes: number,
  limitBytes: number,
  extra: string,
  width = 30,
): string {
  const share = usedBytes / limitBytes;
  const filled = Math.min(width, Math.round(share * width));
  const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
  const mark = share >= 1 ? ' OVER LIMIT' : '';
  return `${label.padEnd(16)} [${bar}] ${formatBytes(usedBytes).padStart(7)} / ${formatBytes(limitBytes)} ${String(Math.round(share * 100)).padStart(4)}%${mark}  ${extra}`;
}

export function verdict(result: PhaseResult): string {
  if (result.overLimitAtMs === undefined) {
    return `Usage stayed under the ${formatBytes(result.limitBytes)} limit (peak ${formatBytes(result.peakBytes)}, ${percent(result.peakBytes, result.limitBytes)}): no eviction.`;
  }
  return `Usage crossed the ${formatBytes(result.limitBytes)} limit after ${(result.overLimitAtMs / 1000).toFixed(1)}s. kubelet evicts the pod at its next volume check (about once a minute), and every log goes with it.`;
}

export function summaryTable(results: readonly PhaseResult[]): string {
  const rows: [string, ...string[]][] = [
    ['', ...results.map((r) => r.title)],
    ['written by the app', ...results.map((r) => formatBytes(r.bytesWritten))],
    [
      'peak usage',
      ...results.map((r) => `${formatBytes(r.peakBytes)} (${percent(r.peakBytes, r.limitBytes)})`),
    ],
    ['time over the limit', ...results.map((r) => `${(r.msOverLimit / 1000).toFixed(1)}s`)],
    ['kubelet eviction', ...results.map((r) => (r.overLimitAtMs === undefined ? 'no' : 'yes'))],
    [
      'compressed history',
      ...results.map((r) => `${r.compressedFiles} files, ${formatBytes(r.compressedBytes)}`),
    ],
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    line(rows[0]!),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...rows.slice(1).map(line),
  ].join('\n');
}

function percent(part: number, whole: number): string {
  return `${Math.round((part / whole) * 100)}%`;
}
