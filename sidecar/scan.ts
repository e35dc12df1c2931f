// Lists everything under the log directory with lstat only, through descriptors (confine.ts):
// no symlink is ever followed, on the way down or at the end. The planner sees regular files
// and nothing else: a symlink might point outside the directory, a FIFO would block a reader,
// a device is nobody's log. Subdirectories are always walked, `recursive` or not, because
// kubelet counts their bytes against the volume's limit; without `recursive` their files are
// counted and left alone. Names are read as bytes, so a name that is not UTF-8 is seen too.
import { openConfined } from './confine.ts';
import { errorCode, type SidecarFs } from './fs.ts';
import type { FileInfo } from './types.ts';

/** Why an entry under the log directory is not among the files the planner sees: not a regular file, or gone or unreadable when listed. */
export type UnmanagedEntryReason =
  | 'symlink'
  | 'fifo'
  | 'socket'
  | 'device'
  | 'directory'
  | 'vanished'
  | 'unreadable';

export interface ScanResult {
  files: FileInfo[];
  skipped: { name: string; why: UnmanagedEntryReason; code?: string }[];
  /** Allocated bytes of everything that is not a regular file: directories, symlinks. */
  otherBytes: number;
  /** Subdirectories (relative names) walked. */
  directories: string[];
}

/** lstat calls in flight at once: the thread pool works in parallel, one at a time would not. */
const CONCURRENCY = 32;
/** Deeper than any log layout; a deeper tree is counted down to here. */
const MAX_DEPTH = 32;

type Stats = Awaited<ReturnType<SidecarFs['lstat']>>;

export async function scan(dir: string, options: { recursive: boolean }, fs: SidecarFs): Promise<ScanResult> {
  const root = await openConfined(fs, dir);
  const result: ScanResult = { files: [], skipped: [], otherBytes: 0, directories: [] };
  try {
    // The directory's own blocks (`/.`: /proc/self/fd/N itself is a link, not the directory).
    result.otherBytes += (await fs.lstat(`${await root.directory('')}/.`)).blocks * 512;
    const pending: { relative: string; depth: number }[] = [{ relative: '', depth: 0 }];
    while (pending.length > 0) {
      const { relative, depth } = pending.pop()!;
      let dirPath: string;
      let entries: string[];
      try {
        dirPath = await root.directory(relative);
        entries = await fs.readdir(dirPath);
      } catch (error) {
        // The top directory missing or unreadable is the caller's problem; a subdirectory is not.
        if (relative === '') throw error;
        const code = errorCode(error);
        result.skipped.push({ name: relative, why: code === 'ENOENT' ? 'vanished' : 'unreadable', code });
        continue;
      }
      await forEachLimited(entries, CONCURRENCY, async (entry) => {
        const name = relative === '' ? entry : `${relative}/${entry}`;
        let stats: Stats;
        try {
          stats = await fs.lstat(`${dirPath}/${entry}`);
        } catch (error) {
          const code = errorCode(error);
          result.skipped.push({ name, why: code === 'ENOENT' ? 'vanished' : 'unreadable', code });
          return;
        }
        if (stats.isFile()) {
          result.files.push({
            name,
            size: stats.size,
            allocatedBytes: stats.blocks * 512,
            mtimeMs: stats.mtimeMs,
            ino: stats.ino,
            links: stats.nlink,
          });
          return;
        }
        result.otherBytes += stats.blocks * 512;
        if (stats.isDirectory()) {
          if (!options.recursive && relative === '') result.skipped.push({ name, why: 'directory' });
          if (depth < MAX_DEPTH) {
            pending.push({ relative: name, depth: depth + 1 });
            result.directories.push(name);
          }
        } else {
          result.skipped.push({ name, why: entryReason(stats) });
        }
      });
    }
  } finally {
    await root.close();
  }
  result.files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return result;
}

async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function entryReason(stats: Stats): UnmanagedEntryReason {
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isFIFO()) return 'fifo';
  if (stats.isSocket()) return 'socket';
  return 'device';
}
