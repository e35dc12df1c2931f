// Reacts to writes within milliseconds instead of waiting for the next cron sweep: a fast
// writer can fill a small volume in seconds. chokidar uses inotify (no polling); the handlers
// only keep an estimate of sizes and usage and call `trigger` when a mark is passed: a log's
// data passing max-file-size, usage passing the budget (high-water mark) or the hard limit.
// Every file counts toward usage, in subdirectories too, as kubelet counts them; only logs
// have a size mark (a growing database is not ours to cap, so it never triggers a pass).
// After a pass, `rebase` takes the scan's sizes and re-arms the marks. A file still above its
// mark then triggers again only after growing by another half of max-file-size, so a file
// whose cap keeps failing cannot turn every write into a pass, while a writer faster than one
// pass still gets a pass for every half file it writes.
import { relative } from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import { isTempName } from './names.ts';
import type { FileInfo } from './types.ts';

export interface Thresholds {
  maxFileBytes: number;
  highWaterBytes: number;
  hardLimitBytes: number;
}

export interface DirectoryWatch {
  rebase(files: readonly FileInfo[]): void;
  ready: Promise<void>;
  stop(): Promise<void>;
}

interface Sizes {
  data: number;
  allocated: number;
}

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
  const files = new Map<string, Sizes>();
  /** Per file, the data size past which the next event triggers a pass. */
  const marks = new Map<string, number>();
  let usage = 0;
  let usageMark = 0;
  const watcher: FSWatcher = watch(dir, {
    ignoreInitial: false,
    followSymlinks: false,
    alwaysStat: true,
    atomic: false,
    // Subdirectories count toward the volume's usage whether they are managed or not.
    depth: 20,
    // Our own temporary files come and go during every compression.
    ignored: (path: string) => isTempName(path),
  });

  const fileMark = (data: number, limits: Thresholds) =>
    data <= limits.maxFileBytes ? limits.maxFileBytes : data + limits.maxFileBytes / 2;
  const nextUsageMark = (bytes: number, limits: Thresholds) => {
    if (bytes <= limits.highWaterBytes) return limits.highWaterBytes;
    if (bytes < limits.hardLimitBytes) return limits.hardLimitBytes - 1;
    return bytes + limits.maxFileBytes / 2;
  };

  const update = (path: string, stats: { size: number; blocks: number; isFile(): boolean } | undefined) => {
    if (!stats?.isFile()) return;
    const name = relative(dir, path);
    const limits = options.thresholds();
    const before = files.get(name) ?? { data: 0, allocated: 0 };
    const after = { data: Math.min(stats.size, stats.blocks * 512), allocated: stats.blocks * 512 };
    files.set(name, after);
    usage += after.allocated - before.allocated;
    if (options.isManagedLog(name) && after.data > (marks.get(name) ?? limits.maxFileBytes)) {
      marks.set(name, fileMark(after.data, limits));
      options.trigger('over_max_file_size');
    }
    if (usage > (usageMark || limits.highWaterBytes)) {
      options.trigger(usage >= limits.hardLimitBytes ? 'over_hard_limit' : 'over_budget');
      usageMark = nextUsageMark(usage, limits);
    }
  };

  watcher.on('add', update);
  watcher.on('change', update);
  watcher.on('unlink', (path) => {
    const name = relative(dir, path);
    usage -= files.get(name)?.allocated ?? 0;
    files.delete(name);
    marks.delete(name);
  });
  watcher.on('error', (error) => options.onError(error as Error));
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));

  return {
    ready,
    rebase(scanned) {
      const limits = options.thresholds();
      files.clear();
      marks.clear();
      usage = 0;
      for (const file of scanned) {
        const data = Math.min(file.size, file.allocatedBytes);
        files.set(file.name, { data, allocated: file.allocatedBytes });
        marks.set(file.name, fileMark(data, limits));
        usage += file.allocatedBytes;
      }
      usageMark = nextUsageMark(usage, limits);
    },
    stop: () => watcher.close(),
  };
}
