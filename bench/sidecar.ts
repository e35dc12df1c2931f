// `logward sidecar` as a child process, through the same entry point as the image
// (cli/logward.ts, or the image's JavaScript itself: image-form.ts), with its JSON log lines collected: the tests' harness, plus what the
// benchmarks read (pid for /proc, counts of log messages).
import type { ChildProcess } from 'node:child_process';
import {
  type LogEntry,
  type SidecarForm,
  startSidecar as spawnSidecar,
} from '../sidecar/testing/sidecar-process.ts';

export type { LogEntry };

export interface Sidecar {
  child: ChildProcess;
  pid: number;
  logs: LogEntry[];
  count(msg: string): number;
  stop(): Promise<void>;
}

/** Starts the sidecar and resolves once it logs `started`. */
export async function startSidecar(args: string[], form: SidecarForm = {}): Promise<Sidecar> {
  const sidecar = spawnSidecar(args, form);
  const failed = sidecar.exited.then(({ code }) => {
    throw new Error(
      `logward sidecar exited ${code} before starting: ${sidecar.logs.map((e) => e.msg).join('; ')}`,
    );
  });
  await Promise.race([sidecar.waitFor((entry) => entry.msg === 'started', 60_000), failed]);
  failed.catch(() => {});
  return {
    child: sidecar.child,
    pid: sidecar.child.pid!,
    logs: sidecar.logs,
    count: (msg) => sidecar.logs.filter((e) => e.msg === msg).length,
    async stop() {
      if (sidecar.child.exitCode === null) await sidecar.stop();
    },
  };
}
