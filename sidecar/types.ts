// The sidecar's vocabulary: what the scan sees, what the planner decides, what the executor
// reports. Plans and results are plain data so they can be printed (`--dry-run`), logged and
// compared in tests.
import type { Compression } from '../contract/policy.ts';

/** A regular file in the log directory, as lstat saw it. Only regular files reach the planner. */
export interface FileInfo {
  /** Path relative to the log directory, `/`-separated (`app.log`, `worker/app.log`). */
  name: string;
  /** Apparent size (`st_size`). */
  size: number;
  /** `st_blocks * 512`: what kubelet counts for an emptyDir, and what a hole does not use. */
  allocatedBytes: number;
  mtimeMs: number;
  kind: 'file';
}

export type DeleteReason = 'over_max_files' | 'over_max_age' | 'over_max_total_size';
export type CapReason = 'over_max_file_size' | 'over_hard_limit';

export type Action =
  /** Our temporary file from an interrupted operation: never visible, never complete. */
  | { kind: 'remove-leftover'; file: string; bytes: number }
  /** A closed file streamed into `target`, after which the source is removed. */
  | {
      kind: 'compress';
      file: string;
      target: string;
      compression: Exclude<Compression, 'none'>;
      reason: 'closed';
    }
  /**
   * Remove the head of a file that may be open, keeping about `keepBytes` of its tail. With
   * `rotated`, the head is first saved there (compressed per `compression`); without it (the
   * last resort) the head is dropped.
   */
  | {
      kind: 'cap';
      file: string;
      keepBytes: number;
      rotated: string | undefined;
      compression: Compression;
      reason: CapReason;
      /**
       * The file grew to twice its cap before this pass reached it: the writer outpaces the
       * configured level, so this head is compressed at the fastest level to catch up.
       */
      catchUp?: true;
    }
  | { kind: 'delete'; file: string; bytes: number; reason: DeleteReason };

export type ActionKind = Action['kind'];
