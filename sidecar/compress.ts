// Archives a closed file: streams it (holes left out) into `<name>.gz` (or `.zst`), or the next
// free archive name when that one is taken, then empties the file in place (empty.ts): no
// uncompressed copy on the side, so the extra space needed is about the compressed size, and a
// writer that still held the file open loses nothing.
import { posix } from 'node:path';
import type { Codec } from '../contract/codecs.ts';
import { emptyIfUnchanged } from './empty.ts';
import { errorCode, READ_FLAGS, READ_WRITE_FLAGS, type SidecarFs } from './fs.ts';
import { readData } from './holes.ts';
import { archiveName } from './names.ts';
import { writeAtomically } from './output.ts';

export interface CompressOutcome {
  /** The archive's name: the planned target, or the next free one. */
  target: string;
  bytesIn: number;
  bytesOut: number;
  /** How the source went: emptied in place, or unlinked when the sidecar may not write it. */
  source: 'emptied' | 'unlinked' | 'vanished';
}

export interface CompressOptions {
  fs: SidecarFs;
  /** The directory holding `file` and `target` (a descriptor path, see confine.ts). */
  dir: string;
  compression: Codec;
  level: number;
  signal?: AbortSignal | undefined;
}

/** The file is not ours to empty or remove after all; the archive is dropped. */
function changed(message: string): Error {
  return Object.assign(new Error(message), { code: 'ECHANGED' });
}

export async function compressFile(
  file: string,
  target: string,
  options: CompressOptions,
): Promise<CompressOutcome> {
  const { fs, dir } = options;
  const sourcePath = posix.join(dir, file);
  let writable = true;
  let source: Awaited<ReturnType<SidecarFs['open']>>;
  try {
    source = await fs.open(sourcePath, READ_WRITE_FLAGS);
  } catch (error) {
    // A sidecar running as another user than the app can read the file, not empty it.
    const code = errorCode(error);
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') throw error;
    writable = false;
    source = await fs.open(sourcePath, READ_FLAGS);
  }
  let published: string | undefined;
  try {
    const before = await source.stat();
    if (!before.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EINVAL' });
    if (before.nlink > 1)
      throw Object.assign(new Error('has other hard links; left alone'), { code: 'ELINKED' });
    const block = (await fs.statfs(dir)).bsize;
    // Read exactly the size we saw: bytes appended meanwhile would be in neither file.
    const data = await readData(source, 0, before.size, block, before.blocks * 512 < before.size);
    const written = await writeAtomically(data.chunks, {
      ...options,
      name: (attempt) =>
        attempt === 0 ? target : archiveName(file, options.compression, before.mtimeMs, attempt),
      mtime: before.mtime,
    });
    published = written.name;
    const outcome = { target: written.name, bytesIn: before.size, bytesOut: written.size };

    // The name must still lead to the file we read, or the app removed or replaced it: the
    // archive is then all that is left of what we read, and it stays.
    let now: Awaited<ReturnType<SidecarFs['lstat']>>;
    try {
      now = await fs.lstat(sourcePath);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return { ...outcome, source: 'vanished' };
      throw error;
    }
    if (now.ino !== before.ino || now.dev !== before.dev) return { ...outcome, source: 'vanished' };
    const unchanged = { size: before.size, mtimeMs: before.mtimeMs };
    if (writable) {
      if (!emptyIfUnchanged(source, unchanged))
        throw changed('written to while being compressed; left in place');
      return { ...outcome, source: 'emptied' };
    }
    if (now.size !== before.size || now.mtimeMs !== before.mtimeMs) {
      throw changed('written to while being compressed; left in place');
    }
    await fs.unlink(sourcePath);
    return { ...outcome, source: 'unlinked' };
  } catch (error) {
    // A source we could not empty or remove (written to meanwhile, immutable, a read-only
    // mount) would stay next to its copy: twice the space for the same lines. Drop the copy.
    if (published) await fs.unlink(posix.join(dir, published)).catch(() => {});
    throw error;
  } finally {
    await source.close();
  }
}
