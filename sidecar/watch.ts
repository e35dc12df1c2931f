// Reacts to writes within milliseconds instead of waiting for the next cron sweep: a fast
// writer can fill a small volume in seconds. inotify (fs.watch, one watch per directory, no
// polling); the handlers only keep an estimate of usage and call `trigger` when a mark is
// passed: a log's data passing max-file-size, usage passing the budget (high-water mark) or the
// hard limit. Every file counts toward usage, in subdirectories too, as kubelet counts them;
// only logs have a size mark (a growing database is not ours to cap, so it never triggers a
// pass).
//
// After a pass, `rebase` takes the scan's sizes and re-arms the marks. A file still above its
// mark then triggers again only after growing by another half of max-file-size, so a file
// whose cap keeps failing cannot turn every write into a pass, while a writer faster than one
// pass still gets a pass for every half file it writes.
//
// The state is one number per file (its allocated bytes when last seen) and a mark per log
// over its cap: a directory of 100,000 files fits the sidecar's small heap. Names arrive as
// bytes, so a name that is not UTF-8 is followed too.
import { type FSWatcher, lstat, type Stats, watch } from 'node:fs';
import { decodeName, encodeName, hasEscapes } from './name-bytes.ts';
import { isTempName } from './names.ts';
import type { FileInfo } from './types.ts';

export interface Thresholds {
  maxFileBytes: number;
  highWaterBytes: number;
  hardLimitBytes: number;
}

export interface DirectoryWatch {
  /** The scan's files, its usage and its subdirectories (relative names) to watch. */
  rebase(files: readonly FileInfo[], scanned: { usage: number; directories: readonly string[] }): void;
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** inotify watches are a per-user kernel resource: a tree deeper than this is left to the sweep. */
const MAX_WATCHED_DIRECTORIES = 1000;
/** lstat calls in flight after a burst of events. */
const CONCURRENCY = 32;

export function watchDirectory(
  dir: string,
  options: {
    thresholds: () => Thresholds;
    /** Whether a file (relative name) is a log the sidecar manages, under the policy in force. */
    isManagedLog: (name: string) => boolean;
    trigger: (reason: string) => void;
    onError: (error: Error) => void;
  },
): DirectoryWatch {
  const allocated = new Map<string, number>();
  /** Logs above max-file-size: the data size past which the next event triggers a pass. */
  const marks = new Map<string, number>();
  const watchers = new Map<string, FSWatcher>();
  const dirty = new Set<string>();
  let usage = 0;
  let usageMark = 0;
  let flushing = false;
  let stopped = false;

  const fileMark = (data: number, limits: Thresholds) =>
    data <= limits.maxFileBytes ? limits.maxFileBytes : data + limits.maxFileBytes / 2;
  const nextUsageMark = (bytes: number, limits: Thresholds) => {
    if (bytes <= limits.highWaterBytes) return limits.highWaterBytes;
    if (bytes < limits.hardLimitBytes) return limits.hardLimitBytes - 1;
    return bytes + limits.maxFileBytes / 2;
  };

  const update = (name: string, stats: Stats | undefined) => {
    const before = allocated.get(name) ?? 0;
    // A new subdirectory: its files count from now on.
    if (stats?.isDirectory()) watchOne(name);
    if (!stats?.isFile()) {
      usage -= before;
      allocated.delete(name);
      marks.delete(name);
      return;
    }
    const limits = options.thresholds();
    const after = stats.blocks * 512;
    const data = Math.min(stats.size, after);
    allocated.set(name, after);
    usage += after - before;
    if (data > (marks.get(name) ?? limits.maxFileBytes) && options.isManagedLog(name)) {
      marks.set(name, fileMark(data, limits));
      options.trigger('over_max_file_size');
    }
    if (usage > (usageMark || limits.highWaterBytes)) {
      options.trigger(usage >= limits.hardLimitBytes ? 'over_hard_limit' : 'over_budget');
      usageMark = nextUsageMark(usage, limits);
    }
  };

  const lstatName = (name: string) =>
    new Promise<Stats | undefined>((resolve) => {
      const path = `${dir}/${name}`;
      lstat(hasEscapes(path) ? encodeName(path) : path, (error, stats) => resolve(error ? undefined : stats));
    });

  // Events only mark names; one flush looks at each marked name once, however many writes.
  const flush = async () => {
    try {
      while (dirty.size > 0 && !stopped) {
        const names = [...dirty].slice(0, CONCURRENCY);
        for (const name of names) dirty.delete(name);
        const stats = await Promise.all(names.map(lstatName));
        if (stopped) return;
        for (const [i, name] of names.entries()) update(name, stats[i]);
      }
    } finally {
      flushing = false;
    }
  };

  const watchOne = (relative: string) => {
    // A pass that ends after stop() still rebases: it must not start watching again.
    if (stopped || watchers.has(relative) || watchers.size >= MAX_WATCHED_DIRECTORIES) return;
    const path = relative === '' ? dir : `${dir}/${relative}`;
    let watcher: FSWatcher;
    try {
      watcher = watch(
        hasEscapes(path) ? encodeName(path) : path,
        { encoding: 'buffer' },
        (_event, filename) => {
          if (!filename) {
            // The kernel dropped events (its queue overflowed): look at everything.
            options.trigger('watch_overflow');
            return;
          }
          const base = decodeName(filename);
          const name = relative === '' ? base : `${relative}/${base}`;
          // Our own temporary files come and go during every compression.
          if (isTempName(name)) return;
          dirty.add(name);
          if (!flushing) {
            flushing = true;
            setImmediate(() => void flush());
          }
        },
      );
    } catch (error) {
      // A subdirectory may be gone by now; the top one missing is worth saying.
      if (relative === '') options.onError(error as Error);
      return;
    }
    watcher.on('error', (error) => {
      watchers.delete(relative);
      watcher.close();
      if (relative === '') options.onError(error);
    });
    watchers.set(relative, watcher);
  };

  watchOne('');
  return {
    ready: Promise.resolve(),
    rebase(files, scanned) {
      const limits = options.thresholds();
      allocated.clear();
      marks.clear();
      for (const file of files) {
        allocated.set(file.name, file.allocatedBytes);
        const data = Math.min(file.size, file.allocatedBytes);
        if (data > limits.maxFileBytes) marks.set(file.name, fileMark(data, limits));
      }
      usage = scanned.usage;
      usageMark = nextUsageMark(usage, limits);
      const wanted = new Set(['', ...scanned.directories]);
      for (const [relative, watcher] of watchers) {
        if (!wanted.has(relative)) {
          watcher.close();
          watchers.delete(relative);
        }
      }
      for (const relative of wanted) watchOne(relative);
    },
    async stop() {
      stopped = true;
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}
