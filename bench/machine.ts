// The machine a run happened on, and how much of it we actually got: other work on a shared
// machine slows every CPU-bound figure, so each section records the load and a calibration.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  os: string;
}

export function describeMachine(): Machine {
  let os = 'Linux';
  try {
    os =
      /^PRETTY_NAME="?([^"\n]+)"?/m.exec(
        execFileSync('cat', ['/etc/os-release'], { encoding: 'utf8' }),
      )?.[1] ?? os;
  } catch {
    // Not every system has os-release; the kernel version still says enough.
  }
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    os,
  };
}

export interface Contention {
  /** 1-minute load average when the section started. */
  loadAverage: number;
  /** Share of one core a busy thread got over a short calibration (1 = all of it). */
  cpuShare: number;
}

/** Spins for `ms` and compares the CPU time received with the wall time spent. */
export function measureContention(ms = 300): Contention {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let x = 0;
  while (performance.now() - started < ms) x += Math.sqrt(x + 1);
  const cpu = process.cpuUsage(cpuBefore);
  const wall = performance.now() - started;
  return { loadAverage: loadavg()[0]!, cpuShare: Math.min(1, (cpu.user + cpu.system) / 1000 / wall) };
}
