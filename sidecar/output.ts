// Writes a finished file the crash-safe way: a hidden temporary name, fsync, mtime, then a hard
// link to its final name and the temporary name removed, directory fsync. link(2) fails with
// EEXIST instead of replacing what is there (rename(2) would replace it), so an archive never
// overwrites another: a taken name makes us try the next one. A crash at any point leaves either
// nothing visible or the complete file; a temporary file left behind is recognised by name and
// removed by the next plan.
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { Compression } from '../contract/codecs.ts';
import { encoderFor } from './codecs.ts';
import { CREATE_FLAGS, errorCode, type SidecarFs, syncDirectory } from './fs.ts';
import { tempNameFor } from './names.ts';

export interface OutputOptions {
  fs: SidecarFs;
  dir: string;
  /** The `attempt`-th name to try, relative to `dir`, from 0: the first one not taken is used. */
  name: (attempt: number) => string;
  compression: Compression;
  level: number;
  mtime: Date;
  signal?: AbortSignal | undefined;
}

/** Streams `source` (encoded per `compression`) into the first free name. Returns its size and name. */
export async function writeAtomically(
  source: AsyncIterable<Buffer> | Readable,
  options: OutputOptions,
): Promise<{ size: number; name: string }> {
  // node:stream (and, through the encoder, node:zlib) at the first write, not at start: an idle
  // sidecar has nothing to write, and what is loaded at start stays resident in every pod.
  const { Readable } = process.getBuiltinModule('node:stream');
  const { pipeline } = process.getBuiltinModule('node:stream/promises');
  const { fs, dir } = options;
  const tempPath = posix.join(dir, tempNameFor(options.name(0)));
  const handle = await createTemporary(fs, tempPath);
  let closed = false;
  try {
    // A sink function rather than handle.createWriteStream(): a FileHandle stream opened without
    // autoClose holds the handle, and handle.close() would then wait forever.
    const sink = async (chunks: AsyncIterable<Buffer>) => {
      for await (const chunk of chunks) await handle.write(chunk);
    };
    const input = source instanceof Readable ? source : Readable.from(source, { objectMode: false });
    const encoder = encoderFor(options.compression, options.level);
    const signal = { signal: options.signal ?? new AbortController().signal };
    if (encoder) await pipeline(input, encoder, sink, signal);
    else await pipeline(input, sink, signal);
    await handle.sync();
    const { size } = await handle.stat();
    await handle.close();
    closed = true;
    await fs.utimes(tempPath, options.mtime, options.mtime);
    const name = await publish(fs, dir, tempPath, options.name);
    await syncDirectory(fs, dir);
    return { size, name };
  } catch (error) {
    if (!closed) await handle.close().catch(() => {});
    await fs.unlink(tempPath).catch(() => {});
    throw error;
  }
}

/** A temporary file of ours left by a crash has the same name: it is ours to replace. */
async function createTemporary(fs: SidecarFs, tempPath: string) {
  try {
    return await fs.open(tempPath, CREATE_FLAGS, 0o644);
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
    await fs.unlink(tempPath);
    return fs.open(tempPath, CREATE_FLAGS, 0o644);
  }
}

// Filesystems without hard links (some FUSE and network ones) answer link(2) with one of these.
const NO_LINKS = new Set(['EPERM', 'EOPNOTSUPP', 'ENOTSUP', 'ENOSYS', 'EXDEV']);
const MAX_ATTEMPTS = 1000;

/** Gives the temporary file the first free name; never replaces one. Returns the name. */
async function publish(
  fs: SidecarFs,
  dir: string,
  tempPath: string,
  name: (attempt: number) => string,
): Promise<string> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const candidate = name(attempt);
    const path = posix.join(dir, candidate);
    try {
      await fs.link(tempPath, path);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'EEXIST') continue;
      if (!code || !NO_LINKS.has(code)) throw error;
      // No hard links here: check, then rename. Only a file created under our unique name in
      // the instant between the two could be replaced.
      if (await exists(fs, path)) continue;
      await fs.rename(tempPath, path);
      return candidate;
    }
    await fs.unlink(tempPath);
    return candidate;
  }
  throw Object.assign(
    new Error(`no free name after ${MAX_ATTEMPTS} attempts from ${JSON.stringify(name(0))}`),
    {
      code: 'EEXIST',
    },
  );
}

/** True when `name` exists (as anything): rotated names must never overwrite. */
async function exists(fs: SidecarFs, path: string): Promise<boolean> {
  try {
    await fs.lstat(path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw error;
  }
}
