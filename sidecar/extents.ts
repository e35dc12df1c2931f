// Where a file holds data, as the filesystem reports it (SEEK_DATA/SEEK_HOLE through the small
// native helper native/extents.c: Node has no lseek). Only the filesystem can tell a hole, which
// reads as NULs but was never written, from zeros an app really wrote: holes are skipped when
// copying, written zeros are kept.
//
// Without the helper (a build without a C compiler) the answer is `undefined` and callers fall
// back to treating long runs of NULs as holes, logged once as `holes_guessed`.
import { accessSync, constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

export interface Extent {
  start: number;
  end: number;
}

const BUILT = new URL('./native/logward-extents', import.meta.url).pathname;

/** The helper: $LOGWARD_EXTENTS, else next to this module (the image and a built tree), else PATH. */
function helperPath(): string {
  const fromEnv = process.env.LOGWARD_EXTENTS;
  if (fromEnv) return fromEnv;
  try {
    accessSync(BUILT, constants.X_OK);
    return BUILT;
  } catch {
    return 'logward-extents';
  }
}

let helper: string | undefined;
let missing = false;

/** False once the helper could not be started: holes are then guessed from NUL runs. */
export function holeMapAvailable(): boolean {
  return !missing;
}

/**
 * The data extents of `[from, to)` of an open file, in order, clipped to the range; undefined
 * when the helper is unavailable. The helper gets our descriptor, not a path, so it maps the
 * inode we opened and checked.
 */
export function dataExtents(handle: FileHandle, from: number, to: number): Promise<Extent[] | undefined> {
  if (missing || to <= from) return Promise.resolve(to <= from ? [] : undefined);
  helper ??= helperPath();
  // node:child_process when a file first may have holes, not at start.
  const { spawn } = process.getBuiltinModule('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(helper!, [String(from), String(to)], {
      stdio: ['ignore', 'pipe', 'pipe', handle.fd],
    });
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      out += text;
    });
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      err += text;
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'EACCES') {
        missing = true;
        resolve(undefined);
      } else {
        reject(error);
      }
    });
    child.on('close', (status) => {
      if (missing) return;
      if (status !== 0) {
        reject(
          Object.assign(new Error(`logward-extents: ${err.trim() || `exit ${status}`}`), { code: 'EIO' }),
        );
        return;
      }
      const extents: Extent[] = [];
      for (const line of out.split('\n')) {
        if (line === '') continue;
        const [start, end] = line.split(' ').map(Number);
        extents.push({ start: start!, end: end! });
      }
      resolve(extents);
    });
  });
}
