// The sidecar's vocabulary: what the scan sees, what the planner decides, what the executor
// reports. Plans and results are plain data so they can be printed (`--dry-run`), logged and
// compared in tests.
import type { Codec, Compression } from '../contract/codecs.ts';

/** A regular file under the log directory, as lstat saw it. Only regular files reach the planner. */
export interface FileInfo {
  /**
   * Path relative to the log directory, `/`-separated (`app.log`, `worker/app.log`); a byte
   * that is not UTF-8 is escaped (name-bytes.ts).
   */
  name: string;
  /** Apparent size (`st_size`). */
  size: number;
  /** `st_blocks * 512`: what kubelet counts for an emptyDir, and what a hole does not use. */
  allocatedBytes: number;
  mtimeMs: number;
  /** Inode: a file replaced under its name between the scan and an action is not the same file. */
  ino: number;
  /** Hard links (`st_nlink`): above 1, the data is also reachable from elsewhere. */
  links: number;
}

export type DeleteReason = 'over_max_files' | 'over_max_age' | 'over_max_total_size' | 'over_hard_limit';
export type CapReason = 'over_max_file_size' | 'over_hard_limit';

/** Why a file is left alone whatever the policy says. */
export type IgnoreReason =
  /** Not matched by `include`, or matched by `exclude`. */
  | 'not_a_log'
  /** More than one hard link: its data is also reachable from elsewhere, maybe outside. */
  | 'hard_linked'
  /** In a subdirectory, and `recursive` is off. */
  | 'subdirectory';

export type Action =
  /** Our temporary file from an interrupted operation: never visible, never complete. */
  | { kind: 'remove-leftover'; file: string; bytes: number }
  /**
   * A closed file streamed into an archive (`target`, or the next free name after it), after
   * which the file is emptied in place, not unlinked: a writer that still holds it open and
   * writes again finds its line in the directory.
   */
  | {
      kind: 'compress';
      file: string;
      target: string;
      compression: Codec;
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
  /**
   * Retention. An archive, or an empty file, is unlinked. A file an app may still write
   * (`emptyInPlace`) is emptied instead, and only if it is still the file the plan saw
   * (`ino`, `size`, `mtimeMs`); the empty file goes once it is older than max-age.
   */
  | {
      kind: 'delete';
      file: string;
      bytes: number;
      reason: DeleteReason;
      ino: number;
      emptyInPlace?: { size: number; mtimeMs: number };
    };
