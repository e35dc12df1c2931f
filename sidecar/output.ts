// Writes a finished file the crash-safe way: a hidden temporary name, fsync, mtime, rename,
// directory fsync. A crash at any point leaves either nothing visible or the complete file;
// a temporary file left behind is recognised by name and removed by the next plan.
import { posix } from 'node:path';
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, createZstdCompress, constants as zlib } from 'node:zlib';
import type { Compression } from '../contract/policy.ts';
import { CREATE_FLAGS, type SidecarFs, syncDirectory } from './fs.ts';
import { tempNameFor } from './names.ts';

// Output chunks of 1 MiB instead of zlib's 16 KiB: fewer round trips through the thread pool
// make streaming compression about twice as fast, and capping speed bounds how fast a writer
// the sidecar can keep under budget.
const CHUNK_SIZE = 1 << 20;

export function createEncoder(compression: Compression, level: number): Transform | undefined {
  if (compression === 'gzip') return createGzip({ level, chunkSize: CHUNK_SIZE });
  if (compression === 'zstd') {
    return createZstdCompress({ chunkSize: CHUNK_SIZE, params: { [zlib.ZSTD_c_compressionLevel]: level } });
  }
  return undefined;
}

export interface OutputOptions {
  fs: SidecarFs;
  dir: string;
  /** Final name, relative to `dir`. */
  name: string;
  compression: Compression;
  level: number;
  mtime: Date;
  signal?: AbortSignal | undefined;
}

/** Streams `source` (encoded per `compression`) into `name`. Returns the bytes written. */
export async function writeAtomically(
  source: AsyncIterable<Buffer> | Readable,
  options: OutputOptions,
): Promise<number> {
  const { fs, dir } = options;
  const finalPath = posix.join(dir, options.name);
  const tempPath = posix.join(dir, tempNameFor(options.name));
  const handle = await fs.open(tempPath, CREATE_FLAGS, 0o644);
  let closed = false;
  try {
    // A sink function rather than handle.createWriteStream(): a FileHandle stream opened without
    // autoClose holds the handle, and handle.close() would then wait forever.
    const sink = async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) await handle.write(chunk);
    };
    const input = source instanceof Readable ? source : Readable.from(source, { objectMode: false });
    const encoder = createEncoder(options.compression, options.level);
    const signal = { signal: options.signal ?? new AbortController().signal };
    if (encoder) await pipeline(input, encoder, sink, signal);
    else await pipeline(input, sink, signal);
    await handle.sync();
    const { size } = await handle.stat();
    await handle.close();
    closed = true;
    await fs.utimes(tempPath, options.mtime, options.mtime);
    await fs.rename(tempPath, finalPath);
    await syncDirectory(fs, posix.dirname(finalPath));
    return size;
  } catch (error) {
    if (!closed) await handle.close().catch(() => {});
    await fs.unlink(tempPath).catch(() => {});
    throw error;
  }
}

/** True when `name` exists (as anything): rotated names must never overwrite. */
export async function exists(fs: SidecarFs, path: string): Promise<boolean> {
  try {
    await fs.lstat(path);
    return true;
  } catch {
    return false;
  }
}
