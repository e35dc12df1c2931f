// Carries out a plan. One result per action, in order; a failing action is reported and the
// rest still run, because one unreadable file must not stop the directory from being kept
// under budget. Every filesystem call goes through `context.fs`, and every path through the
// directory's descriptor (confine.ts): nothing is reached by a path that could lead outside.
import { posix } from 'node:path';
import { CODECS } from '../contract/codecs.ts';
import { type CapOutcome, capFile, type FallocateMethod } from './cap.ts';
import { type CompressOutcome, compressFile } from './compress.ts';
import { type Confined, openConfined } from './confine.ts';
import { emptyIfUnchanged } from './empty.ts';
import { errorCode, READ_WRITE_FLAGS, type SidecarFs } from './fs.ts';
import type { Action } from './types.ts';

export interface ExecuteContext {
  fs: SidecarFs;
  dir: string;
  compressLevel: number;
  /** fallocate methods the filesystem refused; shared across passes so we ask only once. */
  refused: Set<FallocateMethod>;
  /** Aborted on shutdown: the running copy is abandoned cleanly and the rest is skipped. */
  signal?: AbortSignal | undefined;
}

export type ActionOutcome =
  | { kind: 'removed'; vanished: boolean }
  /** A file an app may still hold, emptied in place (retention); its name goes later. */
  | { kind: 'emptied' }
  | ({ kind: 'compressed' } & CompressOutcome)
  | ({ kind: 'capped' } & CapOutcome);

export type ActionResult =
  | { action: Action; ok: true; outcome: ActionOutcome }
  | { action: Action; ok: false; code: string | undefined; error: Error };

const VERBS: Record<Action['kind'], string> = {
  'remove-leftover': 'remove leftover',
  compress: 'compress',
  cap: 'cap',
  delete: 'delete',
};

export async function execute(actions: readonly Action[], context: ExecuteContext): Promise<ActionResult[]> {
  const results: ActionResult[] = [];
  if (actions.length === 0) return results;
  const root = await openConfined(context.fs, context.dir);
  try {
    for (const action of actions) {
      try {
        if (context.signal?.aborted) throw Object.assign(new Error('shutting down'), { code: 'ABORTED' });
        results.push({ action, ok: true, outcome: await perform(action, context, root) });
      } catch (cause) {
        results.push(failure(action, cause));
      }
    }
  } finally {
    await root.close();
  }
  return results;
}

function failure(action: Action, cause: unknown): ActionResult {
  const code =
    errorCode(cause) ?? (cause instanceof Error && cause.name === 'AbortError' ? 'ABORTED' : undefined);
  const reason = code ?? (cause instanceof Error ? cause.message : String(cause));
  const detail =
    cause instanceof Error && code && cause.message && !cause.message.startsWith(code)
      ? ` (${cause.message})`
      : '';
  const error = new Error(
    `failed to ${VERBS[action.kind]} ${JSON.stringify(action.file)}: ${reason}${detail}`,
    {
      cause,
    },
  );
  return { action, ok: false, code, error };
}

async function perform(action: Action, context: ExecuteContext, root: Confined): Promise<ActionOutcome> {
  const { fs } = context;
  const dir = await root.dirOf(action.file);
  const base = posix.basename(action.file);
  switch (action.kind) {
    case 'remove-leftover':
      return remove(fs, `${dir}/${base}`, undefined);
    case 'delete':
      if (action.emptyInPlace) return emptyInPlace(fs, `${dir}/${base}`, action.ino, action.emptyInPlace);
      return remove(fs, `${dir}/${base}`, action.ino);
    case 'compress':
      return {
        kind: 'compressed',
        ...(await compressFile(base, posix.basename(action.target), {
          fs,
          dir,
          compression: action.compression,
          level: context.compressLevel,
          signal: context.signal,
        })),
      };
    case 'cap':
      return {
        kind: 'capped',
        ...(await capFile(
          {
            ...action,
            file: base,
            rotated: action.rotated === undefined ? undefined : posix.basename(action.rotated),
          },
          {
            fs,
            dir,
            level:
              action.catchUp && action.compression !== 'none'
                ? CODECS[action.compression].fastestLevel
                : context.compressLevel,
            refused: context.refused,
            signal: context.signal,
          },
        )),
      };
  }
}

function changed(message: string): Error {
  return Object.assign(new Error(message), { code: 'ECHANGED' });
}

/**
 * Unlinks `path` if it is still the file the plan saw (`ino`), with no other link. A file
 * already gone is what we wanted: not a failure.
 */
async function remove(fs: SidecarFs, path: string, ino: number | undefined): Promise<ActionOutcome> {
  try {
    if (ino !== undefined) {
      const stats = await fs.lstat(path);
      if (stats.ino !== ino) throw changed('replaced since the scan; left in place');
      if (stats.nlink > 1)
        throw Object.assign(new Error('has other hard links; left alone'), { code: 'ELINKED' });
    }
    await fs.unlink(path);
    return { kind: 'removed', vanished: false };
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { kind: 'removed', vanished: true };
    throw error;
  }
}

async function emptyInPlace(
  fs: SidecarFs,
  path: string,
  ino: number,
  expected: { size: number; mtimeMs: number },
): Promise<ActionOutcome> {
  let handle: Awaited<ReturnType<SidecarFs['open']>>;
  try {
    handle = await fs.open(path, READ_WRITE_FLAGS);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') return { kind: 'removed', vanished: true };
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') throw error;
    // A sidecar running as another user than the app may unlink (the volume is world-writable)
    // but not empty the file: unlink it if it is still exactly what the plan saw.
    const stats = await fs.lstat(path);
    if (stats.size !== expected.size || stats.mtimeMs !== expected.mtimeMs) {
      throw changed('written to since the scan; left in place');
    }
    return remove(fs, path, ino);
  }
  try {
    const stats = await handle.stat();
    if (stats.ino !== ino) throw changed('replaced since the scan; left in place');
    if (stats.nlink > 1)
      throw Object.assign(new Error('has other hard links; left alone'), { code: 'ELINKED' });
    if (!emptyIfUnchanged(handle, expected)) throw changed('written to since the scan; left in place');
    return { kind: 'emptied' };
  } finally {
    await handle.close();
  }
}
