// The planner: from what is on disk, the policy and the time, which actions to take and why.
// Pure and synchronous, so every decision can be tested with a table and printed by
// `--dry-run`. The steps follow kubelet's container log manager: find leftovers, select excess
// (age, count), select to compress, trim to the total budget, the last resort if live data
// alone is at the hard limit, and select over cap. Actions come out fastest first. Linear in
// the number of files but for one sort, so a directory of 100,000 files plans in well under a
// second.
//
// What each file is (classify):
//
// | role     | which files                                               | what may happen to it          |
// |----------|-----------------------------------------------------------|--------------------------------|
// | ignored  | not a log (include/exclude), hard-linked, or in a         | nothing; its bytes count       |
// |          | subdirectory without `recursive`                          |                                |
// | leftover | our hidden temporary file                                 | removed                        |
// | archive  | compressed, or one of our rotations: never written again  | deleted by retention           |
// | live     | the newest plain file of its stream                       | capped; emptied past max-age   |
// | recent   | superseded, but written within `closed-after`             | capped                         |
// | closed   | superseded and idle for `closed-after`                    | compressed, or emptied by      |
// |          |                                                           | retention (unlinked once older |
// |          |                                                           | than max-age)                  |
import type { Policy } from '../contract/policy.ts';
import {
  archiveName,
  compressedName,
  isCompressedName,
  isOurRotation,
  isTempName,
  rotatedName,
} from './names.ts';
import { logMatcher } from './ownership.ts';
import { streamOf } from './streams.ts';
import type { Action, DeleteReason, FileInfo, IgnoreReason } from './types.ts';

/** The policy fields the planner reads; the rest (schedule, sidecar resources) is not its business. */
export type PlanPolicy = Pick<
  Policy,
  | 'maxTotalBytes'
  | 'maxFileBytes'
  | 'hardLimitBytes'
  | 'maxAgeMs'
  | 'maxFiles'
  | 'compress'
  | 'closedAfterMs'
  | 'include'
  | 'exclude'
  | 'recursive'
>;

export interface PlanOptions {
  /**
   * Set after an action failed with ENOSPC: the volume holds less than the policy thinks (a
   * smaller disk, a full node). The usage it holds now is taken as its hard limit, so retention
   * and then the last resort free space at once instead of every pass failing the same way.
   */
  noSpace?: boolean;
  /** Allocated bytes that are not regular files (directories, symlinks): kubelet counts them. */
  otherBytes?: number;
  /**
   * At most this many retention and compression actions (default MAX_ACTIONS); the rest wait
   * for the next round, so a directory with a backlog of 100,000 files is worked through in
   * batches that fit the sidecar's small heap. Caps are never held back.
   */
  maxActions?: number;
}

const MAX_ACTIONS = 20_000;

export type Role = 'ignored' | 'leftover' | 'archive' | 'live' | 'recent' | 'closed';

export interface Classified {
  file: FileInfo;
  role: Role;
  stream: string;
  /** For `ignored` files. */
  why?: IgnoreReason;
}

export interface PassPlan {
  actions: Action[];
  /** Files left alone whatever the policy says, with the reason. */
  ignored: { file: string; why: IgnoreReason; bytes: number }[];
  /** Allocated bytes of ignored files: counted in the usage, never freed by the sidecar. */
  unmanagedBytes: number;
  /** Usage as kubelet counts it: every allocated block, hard links once. */
  usage: number;
  /** Actions held back by `maxActions`, for the next round. */
  deferred: number;
}

/** Bytes a file really holds: a file with holes has fewer than its apparent size. */
function dataBytes(file: FileInfo): number {
  return Math.min(file.size, file.allocatedBytes);
}

function byNewest(a: Classified, b: Classified): number {
  return (
    b.file.mtimeMs - a.file.mtimeMs || (a.file.name < b.file.name ? 1 : a.file.name > b.file.name ? -1 : 0)
  );
}

/** Ordering is by modification time, never by name: names lie (`.1` may be newer than `.2`). */
export function classify(
  files: readonly FileInfo[],
  policy: Pick<PlanPolicy, 'closedAfterMs' | 'include' | 'exclude' | 'recursive'>,
  now: number,
): Classified[] {
  const isLog = logMatcher(policy);
  const result: Classified[] = new Array(files.length);
  // Per stream, its newest plain file: the one the app may be writing.
  const newest = new Map<string, Classified>();
  for (const [index, file] of files.entries()) {
    const stream = streamOf(file.name);
    const entry: Classified = { file, role: 'closed', stream };
    result[index] = entry;
    if (isTempName(file.name)) entry.role = 'leftover';
    else if (!policy.recursive && file.name.includes('/')) ignore(entry, 'subdirectory');
    else if (!isLog(file.name)) ignore(entry, 'not_a_log');
    else if (file.links > 1) ignore(entry, 'hard_linked');
    // A compressed file or one of our rotations is never written again, so it cannot be live.
    else if (isCompressedName(file.name) || isOurRotation(file.name)) entry.role = 'archive';
    else {
      const current = newest.get(stream);
      if (!current || byNewest(entry, current) < 0) newest.set(stream, entry);
    }
  }
  for (const entry of result) {
    if (entry.role !== 'closed') continue;
    if (newest.get(entry.stream) === entry) entry.role = 'live';
    else if (now - entry.file.mtimeMs < policy.closedAfterMs) entry.role = 'recent';
  }
  return result;
}

function ignore(entry: Classified, why: IgnoreReason): void {
  entry.role = 'ignored';
  entry.why = why;
}

/** Plans one pass. Every returned action names its file and, where it is a choice, the reason. */
export function plan(
  files: readonly FileInfo[],
  policy: PlanPolicy,
  now: number,
  options: PlanOptions = {},
): Action[] {
  return planPass(files, policy, now, options).actions;
}

export function planPass(
  files: readonly FileInfo[],
  policy: PlanPolicy,
  now: number,
  options: PlanOptions = {},
): PassPlan {
  const classified = classify(files, policy, now);
  const actions: Action[] = [];
  const maxActions = options.maxActions ?? MAX_ACTIONS;
  let deferred = 0;
  // Held-back actions still count as done for the rest of this plan: the next round re-plans.
  const batch = (action: Action) => {
    if (actions.length < maxActions) actions.push(action);
    else deferred++;
  };
  const gone = new Set<Classified>();
  const usageAtStart = usageOf(files) + (options.otherBytes ?? 0);
  let usage = usageAtStart;
  // A full volume holds less than the policy thinks: scale the budget to what it holds.
  const hardLimit = options.noSpace ? Math.min(policy.hardLimitBytes, usage) : policy.hardLimitBytes;
  const budget = options.noSpace
    ? Math.min(policy.maxTotalBytes, Math.floor((hardLimit * policy.maxTotalBytes) / policy.hardLimitBytes))
    : policy.maxTotalBytes;
  const remove = (entry: Classified, reason: DeleteReason) => {
    const { file } = entry;
    // A plain file may still be held by a writer: empty it, and unlink it only once it is empty
    // and as old as max-age, when no writer that idle is still expected to come back.
    const inPlace =
      (entry.role === 'closed' || entry.role === 'live') && file.size > 0 && reason !== 'over_max_age';
    batch({
      kind: 'delete',
      file: file.name,
      bytes: file.allocatedBytes,
      reason,
      ino: file.ino,
      ...(inPlace ? { emptyInPlace: { size: file.size, mtimeMs: file.mtimeMs } } : {}),
    });
    gone.add(entry);
    usage -= file.allocatedBytes;
  };

  const ignored: PassPlan['ignored'] = [];
  let unmanagedBytes = 0;
  const byRole = (role: Role) => classified.filter((entry) => entry.role === role);
  const counted = new Set<number>();
  for (const entry of byRole('ignored')) {
    const { file } = entry;
    ignored.push({ file: file.name, why: entry.why!, bytes: file.allocatedBytes });
    // A file with several names here is counted once, as in the usage.
    if (file.links > 1 && counted.has(file.ino)) continue;
    counted.add(file.ino);
    unmanagedBytes += file.allocatedBytes;
  }

  // 1. Find leftovers.
  for (const entry of byRole('leftover')) {
    batch({ kind: 'remove-leftover', file: entry.file.name, bytes: entry.file.allocatedBytes });
    gone.add(entry);
    usage -= entry.file.allocatedBytes;
  }

  // 2. Select excess per stream: too old, then too many (newest kept). History is what was
  // archived or closed with something in it; an empty closed file holds nothing to keep and
  // goes once it is as old as max-age would make any history.
  const history = classified
    .filter((e) => e.role === 'archive' || (e.role === 'closed' && e.file.size > 0))
    .sort(byNewest);
  const expired = (entry: Classified) => now - entry.file.mtimeMs > policy.maxAgeMs;
  for (const entry of history) if (expired(entry)) remove(entry, 'over_max_age');
  for (const entry of classified) {
    // A live file past max-age: its writer is long gone, or its lines are older than retention.
    const emptyClosed = entry.role === 'closed' && entry.file.size === 0;
    if ((emptyClosed || entry.role === 'live') && expired(entry)) remove(entry, 'over_max_age');
  }
  const keptPerStream = new Map<string, number>();
  for (const entry of history) {
    if (gone.has(entry)) continue;
    const kept = keptPerStream.get(entry.stream) ?? 0;
    if (kept >= policy.maxFiles) remove(entry, 'over_max_files');
    else keptPerStream.set(entry.stream, kept + 1);
  }

  // 3. Select to compress: closed files that retention keeps (each named when it is emitted,
  // to a name nobody has).
  const compression = policy.compress;
  const compressions =
    compression === 'none' ? [] : history.filter((entry) => !gone.has(entry) && entry.role === 'closed');

  // 4. Trim to the budget, oldest history first across all streams. Pending compressions
  // shrink the directory by an amount known only afterwards, so while they are pending and the
  // hard limit is not near, the trim waits for the next pass (the sweep re-plans at once) rather
  // than delete a file that would have fitted once compressed.
  const deferTrim = compressions.length > 0 && usage < hardLimit && !options.noSpace;
  if (!deferTrim) {
    for (let i = history.length - 1; i >= 0 && usage > budget; i--) {
      const entry = history[i]!;
      if (!gone.has(entry)) remove(entry, 'over_max_total_size');
    }
  }

  // 5. At the hard limit with no history left: first the live files nobody has written for
  // closed-after (a finished job's unique name), oldest first, whole; then, the last resort,
  // the oldest bytes of the largest files being written. Dropping them beats the eviction of
  // the pod, which loses every file. Drops copy nothing, so they come before the slow work, and
  // they go down to the budget, not just under the line, or the next few writes would trigger
  // them again.
  // Files we may not touch may alone exceed the budget: then no drop reaches it, and dropping
  // every live byte at every pass would gain nothing. Aim halfway to the hard limit instead.
  const floor = unmanagedBytes >= budget ? Math.floor((budget + hardLimit) / 2) : budget;
  if (usage >= hardLimit) {
    const idle = classified
      .filter(
        (e) =>
          e.role === 'live' &&
          !gone.has(e) &&
          e.file.size > 0 &&
          now - e.file.mtimeMs >= policy.closedAfterMs,
      )
      .sort(byNewest);
    for (let i = idle.length - 1; i >= 0 && usage > floor; i--) remove(idle[i]!, 'over_hard_limit');
  }
  const openFiles = classified
    .filter((e) => (e.role === 'live' || e.role === 'recent') && !gone.has(e))
    .sort((a, b) => b.file.allocatedBytes - a.file.allocatedBytes || (a.file.name < b.file.name ? -1 : 1));
  const remaining = new Map(openFiles.map((e) => [e, dataBytes(e.file)]));
  if (usage >= hardLimit) {
    for (const entry of openFiles) {
      const excess = usage - floor;
      if (excess <= 0) break;
      const drop = Math.min(entry.file.allocatedBytes, excess);
      const keepBytes = Math.max(0, dataBytes(entry.file) - drop);
      actions.push({
        kind: 'cap',
        file: entry.file.name,
        keepBytes,
        rotated: undefined,
        compression: 'none',
        reason: 'over_hard_limit',
      });
      remaining.set(entry, keepBytes);
      usage -= drop;
    }
  }
  if (compression !== 'none') {
    // Archive names end in a compression suffix: only those can be taken.
    const taken = new Set(files.filter((f) => isCompressedName(f.name)).map((f) => f.name));
    for (const entry of compressions) {
      if (gone.has(entry)) continue;
      const { name, mtimeMs } = entry.file;
      let attempt = 0;
      let target = archiveName(name, compression, mtimeMs);
      while (taken.has(target)) target = archiveName(name, compression, mtimeMs, ++attempt);
      taken.add(target);
      batch({ kind: 'compress', file: name, target, compression, reason: 'closed' });
    }
  }

  // 6. Select over cap (last, being the slowest): files the app may hold open whose data passed
  // max-file-size. Their head moves to a rotated file; `dataBytes` ignores holes left by writers
  // without O_APPEND.
  for (const entry of openFiles.sort((a, b) => (a.file.name < b.file.name ? -1 : 1))) {
    const data = remaining.get(entry) ?? 0;
    if (data > policy.maxFileBytes) {
      actions.push({
        kind: 'cap',
        file: entry.file.name,
        keepBytes: 0,
        rotated: compressedName(rotatedName(entry.file.name, now), compression),
        compression,
        reason: 'over_max_file_size',
        // Compressing a head takes longer the bigger it is, and the writer keeps writing
        // meanwhile: once a head reaches twice the cap, the configured level has lost the race.
        ...(data >= 2 * policy.maxFileBytes && compression !== 'none' ? { catchUp: true as const } : {}),
      });
    }
  }
  return { actions, ignored, unmanagedBytes, usage: usageAtStart, deferred };
}

/** Allocated bytes of `files` as kubelet counts them: a file with several links once. */
function usageOf(files: readonly FileInfo[]): number {
  let total = 0;
  const seen = new Set<number>();
  for (const file of files) {
    if (file.links > 1) {
      if (seen.has(file.ino)) continue;
      seen.add(file.ino);
    }
    total += file.allocatedBytes;
  }
  return total;
}
