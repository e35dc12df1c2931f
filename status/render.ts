import { formatBytes } from '../contract/quantity.ts';
import type { PodRow, Status, WorkloadRow } from './rows.ts';

// `logward status` as kubectl prints: upper-case headers, columns padded to their widest cell
// and three spaces apart, a NAMESPACE column first with -A, `<none>` for an empty cell.

export interface RenderOptions {
  allNamespaces: boolean;
  /** The time "ago" is counted from, in ms. */
  now: number;
}

export function renderTable(status: Status, options: RenderOptions): string {
  if (status.workloads.length === 0 && status.pods.length === 0) {
    return options.allNamespaces
      ? 'No opted-in workloads or pods found.\n'
      : 'No opted-in workloads or pods found in this namespace.\n';
  }
  const parts: string[] = [];
  if (status.workloads.length > 0) {
    parts.push(
      table(
        ['WORKLOAD', 'OPTED IN BY', 'INJECTED'],
        status.workloads.map((w) => [
          `${w.kind.toLowerCase()}/${w.name}`,
          optedIn(w),
          `${w.injected}/${w.pods}`,
        ]),
        status.workloads,
        options,
      ),
    );
  }
  if (status.pods.length > 0) {
    parts.push(
      table(
        ['POD', 'INJECTED', 'USAGE', 'BUDGET', 'LIMIT', 'LAST ROTATION', 'REASON'],
        status.pods.map((p) => podCells(p, options.now)),
        status.pods,
        options,
      ),
    );
  }
  return parts.join('\n');
}

export function renderJson(status: Status): string {
  return `${JSON.stringify(status, null, 2)}\n`;
}

function optedIn(w: WorkloadRow): string {
  return w.invalid ? `invalid: ${w.invalid}` : (w.optedInBy ?? '<none>');
}

function podCells(p: PodRow, now: number): string[] {
  if (!p.injected) return [p.name, 'no', '-', '-', '-', '-', p.reason ?? '<none>'];
  if (p.usageBytes === undefined)
    return [p.name, 'yes', '?', '?', '?', '?', `metrics: ${p.metricsError ?? 'unknown'}`];
  const share = (of: number | undefined) =>
    of === undefined || of <= 0 ? '' : ` (${Math.round((100 * p.usageBytes!) / of)}%)`;
  return [
    p.name,
    'yes',
    `${formatBytes(p.usageBytes)}${share(p.budgetBytes)}`,
    p.budgetBytes === undefined ? '?' : formatBytes(p.budgetBytes),
    p.limitBytes === undefined ? '?' : `${formatBytes(p.limitBytes)}${share(p.limitBytes)}`,
    p.lastRotation ? `${ago(now - Date.parse(p.lastRotation))} ago` : 'never',
    '<none>',
  ];
}

/** kubectl's short ages: 45s, 12m, 5h, 3d. */
export function ago(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

function table(
  headers: string[],
  rows: string[][],
  objects: readonly { namespace: string }[],
  options: RenderOptions,
): string {
  const all = options.allNamespaces
    ? [['NAMESPACE', ...headers], ...rows.map((row, i) => [objects[i]!.namespace, ...row])]
    : [headers, ...rows];
  const widths = all[0]!.map((_, column) => Math.max(...all.map((row) => row[column]!.length)));
  return all
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
        .join('   ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}
