// Runs `logward sidecar ...` in this process with buffers for stdout and stderr: the command's
// exit code, what it printed, and its JSON log lines.
import { PassThrough } from 'node:stream';
import type { Io } from '../../base/io.ts';
import { sidecarCommand } from '../command.ts';
import type { LogEntry } from './sidecar-process.ts';

export interface InProcessRun {
  code: number;
  stdout: string;
  logs: LogEntry[];
}

export async function runSidecar(args: string[], env: Record<string, string> = {}): Promise<InProcessRun> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: new PassThrough(),
    env,
    stopSignal: new Promise(() => {}),
  };
  const code = await sidecarCommand(args, io);
  const logs = stderr
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LogEntry);
  return { code, stdout, logs };
}

/** The plan that `--dry-run` printed, one action per line. */
export function printedPlan(run: InProcessRun): Record<string, unknown>[] {
  return run.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
