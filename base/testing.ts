import { Readable } from 'node:stream';
import type { Io } from './io.ts';

/** An Io backed by strings, for running commands in tests without a process. */
export function memoryIo(stdin = '', env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  let stop: (signal: string) => void = () => {};
  const io: Io = {
    stdout: { write: (text: string) => out.push(text) },
    stderr: { write: (text: string) => err.push(text) },
    stdin: Readable.from([stdin]),
    env,
    stopSignal: new Promise((resolve) => {
      stop = resolve;
    }),
  };
  return {
    io,
    stdout: () => out.join(''),
    stderr: () => err.join(''),
    stop: (signal = 'SIGTERM') => stop(signal),
  };
}
