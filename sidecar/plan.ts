// The planner: from what is on disk, the policy and the time, which actions to take and why.
// Pure and synchronous, so every decision can be tested with a table and printed by
// `--dry-run`. The steps follow kubelet's container log manager: find leftovers, select excess
// (age, count), select to compress, trim to the total budget, the last resort if live data
// alone is at the hard limit, and select over cap. Actions come out fastest first.
import type { Policy } from '../contract/policy.ts';
import { compressedName, isCompressedName, isOurRotation, isTempName, rotatedName } from './names.ts';
import { streamOf } from './streams.ts';
import type { Action, FileInfo } from './types.ts';

/** The policy fields the planner reads; the rest (schedule, sidecar resources) is not its business. */
export type PlanPolicy = Pick<
  Policy,
  'maxTotalBytes' | 'maxFileBytes' | 'hardLimitBytes' | 'maxAgeMs' | 'maxFiles' | 'compress' | 'closedAfterMs'
>;

export interface PlanOptions {
  /**
   * Set after a compression failed with ENOSPC: trim to the budget now instead of waiting for
   * pending compressions to shrink the directory first.
   */
  noSpace?: boolean;
}

/** What each file is to the planner. */
export type Role =
  /** Our temporary file: an operation was interrupted. */
  | 'leftover'
  /** The newest file of its stream: the app may be writing it. */
  | 'live'
  /** Not the newest, but written within `closed-after`: the app may still hold it open. */
  | 'recent'
  /** Safe to compress, delete or keep: compressed, ours, or idle and superseded. */
  | 'rotated';

export interface Classified extends FileInfo {
  role: Role;
  stream: string;
}

/** Bytes a file really holds: a file with holes has fewer than its apparent size. */
export function dataBytes(file: FileInfo): number {
  return Math.min(file.size, file.allocatedBytes);
}

function byNewest(a: FileInfo, b: FileInfo): number {
  return b.mtimeMs - a.mtimeMs || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0);
}

/** Ordering is by modification time, never by name: names lie (`.1` may be newer than `.2`). */
export function classify(
  files: readonly FileInfo[],
  policy: Pick<PlanPolicy, 'closedAfterMs'>,
  now: number,
): Classified[] {
  const streams = new Map<string, FileInfo[]>();
  const result: Classified[] = [];
  for (const file of files) {
    if (isTempName(file.name)) {
      result.push({ ...file, role: 'leftover', stream: streamOf(file.name) });
      continue;
    }
    const stream = streamOf(file.name);
    streams.set(stream, [...(streams.get(stream) ?? []), file]);
  }
  for (const [stream, members] of streams) {
    // A compressed file or one of our rotations is never written again, so it cannot be live.
    const writable = members
      .filter((f) => !isCompressedName(f.name) && !isOurRotation(f.name))
      .sort(byNewest);
    const live = writable[0];
    for (const file of members) {
      let role: Role = 'rotated';
      if (file === live) role = 'live';
      else if (writable.includes(file) && now - file.mtimeMs < policy.closedAfterMs) role = 'recent';
      result.push({ ...file, role, stream });
    }
  }
  return result;
}

/** Plans one pass. Every returned action names its file and, where it is a choice, the reason. */
export function plan(
  files: readonly FileInfo[],
  policy: PlanPolicy,
  now: number,
  options: PlanOptions = {},
): Action[] {
  const classified = classify(files, policy, now);
  const actions: Action[] = [];
  const gone = new Set<string>();
  let usage = files.reduce((sum, f) => sum + f.allocatedBytes, 0);
  const remove = (file: Classified, action: Action) => {
    actions.push(action);
    gone.add(file.name);
    usage -= file.allocatedBytes;
  };

  // 1. Find leftovers.
  for (const file of classified.filter((f) => f.role === 'leftover')) {
    remove(file, { kind: 'remove-leftover', file: file.name, bytes: file.allocatedBytes });
  }

  // 2. Select excess per stream: too old, then too many (newest kept).
  const rotated = classified.filter((f) => f.role === 'rotated').sort(byNewest);
  for (const file of rotated) {
    if (now - file.mtimeMs > policy.maxAgeMs) {
      remove(file, { kind: 'delete', file: file.name, bytes: file.allocatedBytes, reason: 'over_max_age' });
    }
  }
  const keptPerStream = new Map<string, number>();
  for (const file of rotated) {
    if (gone.has(file.name)) continue;
    const kept = keptPerStream.get(file.stream) ?? 0;
    if (kept >= policy.maxFiles) {
      remove(file, { kind: 'delete', file: file.name, bytes: file.allocatedBytes, reason: 'over_max_files' });
    } else {
      keptPerStream.set(file.stream, kept + 1);
    }
  }

  // 3. Select to compress: closed files that retention keeps.
  const compression = policy.compress;
  const toCompress =
    compression === 'none'
      ? []
      : rotated.filter((f) => !gone.has(f.name) && !isCompressedName(f.name)).map((f) => f.name);
  const compressions: Action[] = toCompress.map((file) => ({
    kind: 'compress',
    file,
    target: compressedName(file, compression),
    compression: compression as 'gzip' | 'zstd',
    reason: 'closed',
  }));

  // 4. Trim to the budget, oldest rotated file first across all streams. Pending compressions
  // shrink the directory by an amount known only afterwards, so while they are pending and the
  // hard limit is not near, the trim waits for the next pass (the sweep re-plans at once) rather
  // than delete a file that would have fitted once compressed.
  const deferTrim = toCompress.length > 0 && usage < policy.hardLimitBytes && !options.noSpace;
  if (!deferTrim) {
    const oldestFirst = rotated.filter((f) => !gone.has(f.name)).reverse();
    for (const file of oldestFirst) {
      if (usage <= policy.maxTotalBytes) break;
      remove(file, {
        kind: 'delete',
        file: file.name,
        bytes: file.allocatedBytes,
        reason: 'over_max_total_size',
      });
    }
  }

  // 5. Last resort: every rotated file that could go is gone and the files the app writes
  // still reach the hard limit. Dropping the oldest bytes of the largest file beats the
  // eviction of the pod, which loses every file. Drops copy nothing, so they come before the
  // slow work, and they go down to the budget, not just under the line, or the next few writes
  // would trigger them again.
  const openFiles = classified
    .filter((f) => f.role === 'live' || f.role === 'recent')
    .sort((a, b) => b.allocatedBytes - a.allocatedBytes || (a.name < b.name ? -1 : 1));
  const remaining = new Map(openFiles.map((f) => [f.name, dataBytes(f)]));
  if (usage >= policy.hardLimitBytes) {
    for (const file of openFiles) {
      const excess = usage - policy.maxTotalBytes;
      if (excess <= 0) break;
      const drop = Math.min(file.allocatedBytes, excess);
      const keepBytes = Math.max(0, dataBytes(file) - drop);
      actions.push({
        kind: 'cap',
        file: file.name,
        keepBytes,
        rotated: undefined,
        compression: 'none',
        reason: 'over_hard_limit',
      });
      remaining.set(file.name, keepBytes);
      usage -= drop;
    }
  }
  actions.push(...compressions.filter((a) => !gone.has(a.file)));

  // 6. Select over cap (last, being the slowest): files the app may hold open whose data passed
  // max-file-size. Their head moves to a rotated file; `dataBytes` ignores holes left by writers
  // without O_APPEND.
  for (const file of openFiles.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const data = remaining.get(file.name) ?? 0;
    if (data > policy.maxFileBytes) {
      actions.push({
        kind: 'cap',
        file: file.name,
        keepBytes: 0,
        rotated: compressedName(rotatedName(file.name, now), compression),
        compression,
        reason: 'over_max_file_size',
        // Compressing a head takes longer the bigger it is, and the writer keeps writing
        // meanwhile: once a head reaches twice the cap, the configured level has lost the race.
        ...(data >= 2 * policy.maxFileBytes && compression !== 'none' ? { catchUp: true as const } : {}),
      });
    }
  }
  return actions;
}
