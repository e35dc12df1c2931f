import type { Readable } from 'node:stream';

/** What a command may touch of the outside world; tests pass buffers instead of the process. */
export interface Io {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  stdin: Readable;
  env: Readonly<Record<string, string | undefined>>;
  /** Resolves when the process is asked to stop (SIGTERM/SIGINT); long-running commands await it. */
  stopSignal: Promise<string>;
}

/** A command's outcome: the exit code. Long-running commands resolve when they have shut down. */
export type Command = (args: string[], io: Io) => Promise<number>;
