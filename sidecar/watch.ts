// Reacts to writes within milliseconds instead of waiting for the next cron sweep: a fast
// writer can fill a small volume in seconds. chokidar uses inotify (no polling); the handlers
// only keep an estimate of usage and call `trigger` when a threshold is crossed: a file's data
// passing max-file-size, usage passing the budget (high-water mark) or the hard limit.
// Crossing, not being above: while only live data remains above the budget, every write
// would otherwise start a pass that can do nothing. After each pass, `rebase` replaces the
// estimate with what the scan saw.
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
    recursive: boolean;
    thresholds: () => Thresholds;
    trigger: (reason: string) => void;
    onError: (error: Error) => void;
  },
): DirectoryWatch {
  const files = new Map<string, Sizes>();
  let usage = 0;
  const watcher: FSWatcher = watch(dir, {
    ignoreInitial: false,
    followSymlinks: false,
    alwaysStat: true,
    atomic: false,
    depth: options.recursive ? 20 : 0,
    // Our own temporary files come and go during every compression.
    ignored: (path: string) => isTempName(path),
  });

  const update = (path: string, stats: { size: number; blocks: number; isFile(): boolean } | undefined) => {
    if (!stats?.isFile()) return;
    const name = relative(dir, path);
    const before = files.get(name) ?? { data: 0, allocated: 0 };
    const after = { data: Math.min(stats.size, stats.blocks * 512), allocated: stats.blocks * 512 };
    files.set(name, after);
    const previousUsage = usage;
    usage += after.allocated - before.allocated;
    const limits = options.thresholds();
    if (before.data <= limits.maxFileBytes && after.data > limits.maxFileBytes)
      options.trigger('over_max_file_size');
    if (previousUsage <= limits.highWaterBytes && usage > limits.highWaterBytes)
      options.trigger('over_budget');
    if (previousUsage < limits.hardLimitBytes && usage >= limits.hardLimitBytes)
      options.trigger('over_hard_limit');
  };

  watcher.on('add', update);
  watcher.on('change', update);
  watcher.on('unlink', (path) => {
    const name = relative(dir, path);
    usage -= files.get(name)?.allocated ?? 0;
    files.delete(name);
  });
  watcher.on('error', (error) => options.onError(error as Error));
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));

  return {
    ready,
    rebase(scanned) {
      files.clear();
      usage = 0;
      for (const file of scanned) {
        files.set(file.name, {
          data: Math.min(file.size, file.allocatedBytes),
          allocated: file.allocatedBytes,
        });
        usage += file.allocatedBytes;
      }
    },
    stop: () => watcher.close(),
  };
}
