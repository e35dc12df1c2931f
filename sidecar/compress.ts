// Compresses a closed file straight from the source into `<name>.gz` (or `.zst`): no
// uncompressed copy on the side, so the extra space needed is about the compressed size.
import { posix } from 'node:path';
import type { Compression } from '../contract/policy.ts';
import { errorCode, READ_FLAGS, type SidecarFs } from './fs.ts';
import { readRange } from './holes.ts';
import { writeAtomically } from './output.ts';

export interface CompressOutcome {
  bytesIn: number;
  bytesOut: number;
  /** False when the source changed while we read it: it was not closed after all, so it stays. */
  sourceRemoved: boolean;
  /** The source disappeared under us; its complete compressed copy is kept. */
  sourceVanished: boolean;
}

export interface CompressOptions {
  fs: SidecarFs;
  dir: string;
  compression: Exclude<Compression, 'none'>;
  level: number;
  signal?: AbortSignal | undefined;
}

export async function compressFile(
  file: string,
  target: string,
  options: CompressOptions,
): Promise<CompressOutcome> {
  const { fs, dir } = options;
  const sourcePath = posix.join(dir, file);
  const source = await fs.open(sourcePath, READ_FLAGS);
  let before: Awaited<ReturnType<typeof source.stat>>;
  let bytesOut: number;
  try {
    before = await source.stat();
    if (!before.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EINVAL' });
    // Read exactly the size we saw: bytes appended meanwhile would be in neither file.
    bytesOut = await writeAtomically(readRange(source, 0, before.size), {
      ...options,
      name: target,
      mtime: before.mtime,
    });
  } finally {
    await source.close();
  }

  // Remove the source only if it is still the file we compressed, unchanged. A writer that
  // appended after all keeps its file; the .gz is then a stale prefix copy, so it goes instead.
  let now: Awaited<ReturnType<SidecarFs['lstat']>>;
  try {
    now = await fs.lstat(sourcePath);
  } catch (error) {
    if (errorCode(error) === 'ENOENT')
      return { bytesIn: before.size, bytesOut, sourceRemoved: false, sourceVanished: true };
    throw error;
  }
  if (
    now.ino !== before.ino ||
    now.dev !== before.dev ||
    now.size !== before.size ||
    now.mtimeMs !== before.mtimeMs
  ) {
    await fs.unlink(posix.join(dir, target)).catch(() => {});
    throw Object.assign(new Error('changed while being compressed; left in place'), { code: 'ECHANGED' });
  }
  try {
    await fs.unlink(sourcePath);
  } catch (error) {
    // A source we cannot remove (immutable, or a read-only mount) would stay next to its copy:
    // twice the space for the same lines. Drop the copy; the failure is reported.
    await fs.unlink(posix.join(dir, target)).catch(() => {});
    throw error;
  }
  return { bytesIn: before.size, bytesOut, sourceRemoved: true, sourceVanished: false };
}
