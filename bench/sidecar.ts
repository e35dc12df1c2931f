// `logward sidecar` as a child process, through the same entry point as the image
// (cli/logward.ts), with its JSON log lines collected.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

const CLI = new URL('../cli/logward.ts', import.meta.url).pathname;

export interface LogEntry {
  level: string;
  msg: string;
  [field: string]: unknown;
}

export interface Sidecar {
  child: ChildProcess;
  pid: number;
  logs: LogEntry[];
  count(msg: string): number;
  stop(): Promise<void>;
}

/** Starts the sidecar and resolves once it logs `started`. */
export async function startSidecar(args: string[]): Promise<Sidecar> {
  const child = spawn(process.execPath, [CLI, 'sidecar', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const logs: LogEntry[] = [];
  let buffer = '';
  let onStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    onStarted = resolve;
  });
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
      if (entry.msg === 'started') onStarted();
    }
  });
  const exited = once(child, 'exit');
  const failed = exited.then(([code]) => {
    throw new Error(`logward sidecar exited ${code} before starting: ${logs.map((e) => e.msg).join('; ')}`);
  });
  await Promise.race([started, failed]);
  failed.catch(() => {});
  return {
    child,
    pid: child.pid!,
    logs,
    count: (msg) => logs.filter((e) => e.msg === msg).length,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
