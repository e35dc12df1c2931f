// Runs the sidecar as a real child process (`logward sidecar ...`) and reads its JSON logs.
import { type ChildProcess, spawn } from 'node:child_process';
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const LOGWARD = new URL('../../cli/logward.ts', import.meta.url).pathname;

export interface LogEntry {
  level: string;
  msg: string;
  [field: string]: unknown;
}

export interface SidecarProcess {
  child: ChildProcess;
  logs: LogEntry[];
  /** Resolves with the first log entry matching, or rejects after `timeoutMs`. */
  waitFor(predicate: (entry: LogEntry) => boolean, timeoutMs?: number): Promise<LogEntry>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then the exit status and how long the exit took. */
  stop(): Promise<{ code: number | null; ms: number }>;
}

export interface SidecarForm {
  /** The entry point: the sources' cli/logward.ts unless given (the benchmarks run the image's JavaScript). */
  entry?: string;
  /** Node flags before it, as an image's ENTRYPOINT has them. */
  nodeFlags?: readonly string[];
  /** Variables on top of this process's environment, as an image's ENV sets them. */
  env?: Record<string, string>;
}

export function startSidecar(args: string[], form: SidecarForm = {}): SidecarProcess {
  const child = spawn(
    process.execPath,
    [...(form.nodeFlags ?? []), form.entry ?? LOGWARD, 'sidecar', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: form.env ? { ...process.env, ...form.env } : process.env },
  );
  const logs: LogEntry[] = [];
  const waiters: { predicate: (e: LogEntry) => boolean; resolve: (e: LogEntry) => void }[] = [];
  let buffer = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    buffer += text;
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) {
      let entry: LogEntry;
      try {
        entry = JSON.parse(line) as LogEntry;
      } catch {
        entry = { level: 'raw', msg: line };
      }
      logs.push(entry);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(entry)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(entry);
        }
      }
    }
  });
  child.stdout!.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    logs,
    exited,
    waitFor(predicate, timeoutMs = 10_000) {
      const found = logs.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          const tail = logs.slice(-10).map((e) => JSON.stringify(e));
          reject(new Error(`no matching log line within ${timeoutMs} ms; last lines:\n${tail.join('\n')}`));
        }, timeoutMs);
        waiters.push({
          predicate,
          resolve: (entry) => {
            clearTimeout(timer);
            resolve(entry);
          },
        });
      });
    },
    async stop() {
      const started = Date.now();
      child.kill('SIGTERM');
      const { code } = await exited;
      return { code, ms: Date.now() - started };
    },
  };
}

/** Allocated bytes of everything directly in `dir` (st_blocks * 512), as kubelet counts. */
export function allocatedBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const stats = lstatSync(join(dir, name), { throwIfNoEntry: false });
    if (stats) total += stats.blocks * 512;
  }
  return total;
}
