// logrotate as a sidecar usually runs it: a shell loop (or crond) that starts it every minute.
// The loop is one bash process; its cutime/cstime accumulate every finished logrotate and gzip,
// and what is still running at the end is read from its descendants.
import { type ChildProcess, spawn } from 'node:child_process';
import type { LogrotateSetup } from './logrotate.ts';
import { cpuTimes, descendants, memory } from './procfs.ts';

export interface CronLoop {
  pid: number;
  /** Starts and ends of logrotate runs, ms since the loop started. */
  runs: { start: number; end?: number; code?: number }[];
  /** CPU seconds so far: the loop, finished runs and running ones. */
  cpuSeconds(): number;
  /** Resident bytes of the loop and whatever it is running now. */
  rss(): number;
  /** Kills the loop and any run in flight; returns whether a run was in flight. */
  stop(): Promise<boolean>;
}

export function startCronLoop(setup: LogrotateSetup, intervalMs: number): CronLoop {
  const seconds = (intervalMs / 1000).toFixed(3);
  const script = `while :; do sleep ${seconds}; echo start; logrotate -s '${setup.state}' '${setup.config}'; echo "end $?"; done`;
  const child: ChildProcess = spawn('bash', ['-c', script], {
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const started = performance.now();
  const runs: CronLoop['runs'] = [];
  let buffer = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    buffer += text;
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) {
      const at = performance.now() - started;
      if (line === 'start') runs.push({ start: at });
      else if (line.startsWith('end '))
        Object.assign(runs.at(-1) ?? {}, { end: at, code: Number(line.slice(4)) });
    }
  });
  const pid = child.pid!;
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const alive = () => [pid, ...descendants(pid)];
  return {
    pid,
    runs,
    cpuSeconds() {
      const own = cpuTimes(pid);
      let running = 0;
      for (const p of descendants(pid)) {
        try {
          const times = cpuTimes(p);
          running += times.self + times.children;
        } catch {
          // Exited between listing and reading: its time is in its parent's cutime by now.
        }
      }
      return own.self + own.children + running;
    },
    rss: () => alive().reduce((sum, p) => sum + memory(p).rss, 0),
    async stop() {
      const inFlight = runs.some((run) => run.end === undefined);
      process.kill(-pid, 'SIGKILL');
      await exited;
      return inFlight;
    },
  };
}
