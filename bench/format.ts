// Number formatting and Markdown tables for the report. JSON turns NaN into null, so every
// formatter accepts null and undefined and prints "n/a" for them.

type Num = number | null | undefined;

const missing = (value: Num): value is null | undefined =>
  value === null || value === undefined || Number.isNaN(value);

export function formatNumber(value: Num, digits = 0): string {
  if (missing(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Bytes in binary units, 3 significant digits: 1.50 GiB, 12.3 MiB, 512 B. */
export function formatBytes(value: Num): string {
  if (missing(value)) return 'n/a';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let unit = 0;
  let scaled = value;
  while (Math.abs(scaled) >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit++;
  }
  if (unit === 0) return `${value} B`;
  const digits = Math.abs(scaled) >= 100 ? 0 : Math.abs(scaled) >= 10 ? 1 : 2;
  return `${scaled.toFixed(digits)} ${units[unit]}`;
}

export function formatMs(value: Num): string {
  if (missing(value)) return 'n/a';
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  if (value >= 100) return `${value.toFixed(0)} ms`;
  if (value >= 10) return `${value.toFixed(1)} ms`;
  return `${value.toFixed(2)} ms`;
}

export function formatPercent(value: Num, digits = 0): string {
  return missing(value) ? 'n/a' : `${(value * 100).toFixed(digits)}%`;
}

/**
 * `ours / peer` as a multiplier: "2.50x". Zero over zero is "=" (both did nothing); a
 * non-zero figure over a zero peer is "n/a" rather than infinity.
 */
export function ratio(ours: Num, peer: Num, digits = 2): string {
  if (missing(ours) || missing(peer)) return 'n/a';
  if (peer === 0) return ours === 0 ? '=' : 'n/a';
  return `${(ours / peer).toFixed(digits)}x`;
}

/** A GitHub Markdown table; cells are escaped so a `|` in a value cannot break the row. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const escapeCell = (cell: string) => cell.replaceAll('|', '\\|').replaceAll('\n', ' ');
  const line = (cells: readonly string[]) => `| ${cells.map(escapeCell).join(' | ')} |`;
  const divider = `|${headers.map(() => '---').join('|')}|`;
  for (const row of rows) {
    if (row.length !== headers.length)
      throw new Error(`row has ${row.length} cells, table has ${headers.length} columns`);
  }
  return [line(headers), divider, ...rows.map(line)].join('\n');
}
