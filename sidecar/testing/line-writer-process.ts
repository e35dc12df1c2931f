// line-writer.ts as a child process writing a fixed number of lines: a fixed volume, however
// loaded the machine, for tests that run it against a sidecar process.
import { spawn } from 'node:child_process';

const WRITER = new URL('./line-writer.ts', import.meta.url).pathname;

export interface LineWriterOptions {
  lines: number;
  mode?: 'append' | 'offset';
  /** Bytes per line, its newline included. */
  width?: number;
  /** MiB/s; 0 writes as fast as it can. */
  rate?: number;
}

/** Writes `lines` numbered lines to `file`; resolves with the last number written. */
export function runLineWriter(
  file: string,
  { lines, mode = 'append', width = 64, rate = 0 }: LineWriterOptions,
): Promise<number> {
  const args = ['--file', file, '--mode', mode, '--lines', String(lines), '--seconds', '60'];
  args.push('--width', String(width), '--rate', String(rate));
  const child = spawn(process.execPath, [WRITER, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => {
    out += t;
  });
  return new Promise((resolve, reject) =>
    child.on('exit', (code) =>
      code === 0 ? resolve(Number(out.trim())) : reject(new Error(`writer exited ${code}`)),
    ),
  );
}
