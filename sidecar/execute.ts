// Carries out a plan. One result per action, in order; a failing action is reported and the
// rest still run, because one unreadable file must not stop the directory from being kept
// under budget. Every filesystem call goes through `context.fs`.
import { posix } from 'node:path';
import { type CapOutcome, capFile, type FallocateMethod } from './cap.ts';
import { type CompressOutcome, compressFile } from './compress.ts';
import { errorCode, type SidecarFs } from './fs.ts';
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

export type Outcome =
  | { kind: 'removed'; vanished: boolean }
  | ({ kind: 'compressed' } & CompressOutcome)
  | ({ kind: 'capped' } & CapOutcome);

export type ActionResult =
  | { action: Action; ok: true; outcome: Outcome }
  | { action: Action; ok: false; code: string | undefined; error: Error };

const VERBS: Record<Action['kind'], string> = {
  'remove-leftover': 'remove leftover',
  compress: 'compress',
  cap: 'cap',
  delete: 'delete',
};

export async function execute(actions: readonly Action[], context: ExecuteContext): Promise<ActionResult[]> {
  const results: ActionResult[] = [];
  for (const action of actions) {
    try {
      if (context.signal?.aborted) throw Object.assign(new Error('shutting down'), { code: 'ABORTED' });
      results.push({ action, ok: true, outcome: await perform(action, context) });
    } catch (cause) {
      const code =
        errorCode(cause) ?? (cause instanceof Error && cause.name === 'AbortError' ? 'ABORTED' : undefined);
      const reason = code ?? (cause instanceof Error ? cause.message : String(cause));
      const detail =
        cause instanceof Error && code && cause.message && !cause.message.startsWith(code)
          ? ` (${cause.message})`
          : '';
      const error = new Error(
        `failed to ${VERBS[action.kind]} ${JSON.stringify(action.file)}: ${reason}${detail}`,
        { cause },
      );
      results.push({ action, ok: false, code, error });
    }
  }
  return results;
}

/** gzip 1 and zstd 1: several times the throughput of the defaults, for a writer we must catch. */
const FASTEST_LEVEL = { gzip: 1, zstd: 1 } as const;

async function perform(action: Action, context: ExecuteContext): Promise<Outcome> {
  const { fs, dir } = context;
  switch (action.kind) {
    case 'remove-leftover':
    case 'delete':
      return remove(fs, posix.join(dir, action.file));
    case 'compress':
      return {
        kind: 'compressed',
        ...(await compressFile(action.file, action.target, {
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
        ...(await capFile(action, {
          fs,
          dir,
          level:
            action.catchUp && action.compression !== 'none'
              ? FASTEST_LEVEL[action.compression]
              : context.compressLevel,
          refused: context.refused,
          signal: context.signal,
        })),
      };
  }
}

/** A file already gone is what we wanted: not a failure. */
async function remove(fs: SidecarFs, path: string): Promise<Outcome> {
  try {
    await fs.unlink(path);
    return { kind: 'removed', vanished: false };
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { kind: 'removed', vanished: true };
    throw error;
  }
}
