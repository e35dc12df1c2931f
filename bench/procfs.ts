// CPU and memory of a process as the kernel accounts them: /proc/<pid>/stat (utime, stime and
// the reaped children's cutime, cstime, in clock ticks) and /proc/<pid>/status (VmRSS, VmHWM).
import { readdirSync, readFileSync } from 'node:fs';

// USER_HZ is 100 on every Linux Node supports.
const TICKS_PER_SECOND = 100;

export interface CpuTimes {
  /** The process itself, seconds. */
  self: number;
  /** Children it has waited for (a cron loop's logrotate and gzip runs), seconds. */
  children: number;
}

export function cpuTimes(pid: number): CpuTimes {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may contain spaces and parentheses: fields start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3, so utime (14) is index 11, stime 12, cutime 13, cstime 14.
  const ticks = (index: number) => Number(fields[index]);
  return {
    self: (ticks(11) + ticks(12)) / TICKS_PER_SECOND,
    children: (ticks(13) + ticks(14)) / TICKS_PER_SECOND,
  };
}

/** Resident set (VmRSS) and its high-water mark (VmHWM), bytes; zeros once the process is gone. */
export function memory(pid: number): { rss: number; hwm: number } {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return { rss: 0, hwm: 0 };
  }
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** Pids of all descendants of `pid` right now (a cron loop's logrotate, its gzip). */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(parent, [...(children.get(parent) ?? []), Number(name)]);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

/** CPU seconds of this process's reaped children so far: time a child command between two reads. */
export function reapedChildrenCpu(): number {
  return cpuTimes(process.pid).children;
}
