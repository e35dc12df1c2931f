/**
 * What a node run must undo, written to `<run dir>/run.json` before each thing is created, so
 * that the run itself, or the next one after a crash, can take it all down again by PID and
 * by name, without asking any component to cooperate.
 */
import { readFileSync } from 'node:fs';
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const RUN_DIR_PREFIX = 'logward-node-';
const RECORD_FILE = 'run.json';

export interface RecordedProcess {
  name: string;
  pid: number;
  /** The executable, so a PID reused by something else after a crash is never signalled. */
  exe: string;
}

export interface RunRecord {
  /** The test process that owns the run; a record whose owner is gone is stale. */
  ownerPid: number;
  /** The run's directory: certificates, configs, logs, kubelet's and containerd's roots. */
  dir: string;
  /** Other directories of the run (the control plane's), removed with it. */
  otherDirs: string[];
  bridge?: string;
  /** kubelet's cgroupRoot, one directory per cgroup hierarchy. */
  cgroupRoot?: string;
  /** containerd's socket: its shims are the processes started with `-address <socket>`. */
  containerdSocket?: string;
  shimBinary?: string;
  processes: RecordedProcess[];
  /** Fixed host paths (see host.ts) that did not exist before the run: it may create them. */
  createdPaths: string[];
  /** nftables tables (`<family> <name>`) and iptables chains present before the run. */
  nftTablesBefore: string[];
  iptablesChainsBefore: string[];
  /** Kernel settings before the run, restored by teardown. */
  sysctls: Record<string, string>;
}

export function recordPath(dir: string): string {
  return join(dir, RECORD_FILE);
}

/** Rewrites the record atomically: a crash mid-write must not lose what is already recorded. */
export async function saveRecord(record: RunRecord): Promise<void> {
  const path = recordPath(record.dir);
  await writeFile(`${path}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
}

/** Records of every run directory under the temp directory, including ones left by crashes. */
export async function findRecords(): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  for (const name of await readdir(tmpdir())) {
    if (!name.startsWith(RUN_DIR_PREFIX)) continue;
    try {
      records.push(JSON.parse(await readFile(recordPath(join(tmpdir(), name)), 'utf8')) as RunRecord);
    } catch {
      // A directory without a readable record holds nothing started yet: teardown of its
      // owner, or the next start, removes it.
    }
  }
  return records;
}

/** True while `pid` runs; a zombie (exited, not yet collected by its parent) does not. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
