/**
 * Takes a node run down from its record alone, in an order that never depends on a component
 * cooperating: kubelet and the other node processes first (so nothing restarts containers),
 * then every process in kubelet's cgroups, containerd's shims, containerd; then the mounts
 * under the run, the cgroups, the bridge, kube-proxy's nftables tables and any KUBE-* iptables
 * chain, the host paths the run created, and the kernel settings it changed. Every step is
 * idempotent and goes on after a failure, so a half-started or crashed run is cleaned as well.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, readlink, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { cgroupHierarchies, IPTABLES_SAVE, readMounts } from './host.ts';
import { isAlive, type RecordedProcess, type RunRecord } from './record.ts';

const run = promisify(execFile);
const GRACE_MS = 5_000;
const KILL_WAIT_MS = 30_000;

/** Undoes everything the record names. Returns what could not be undone (empty when clean). */
export async function teardown(record: RunRecord): Promise<string[]> {
  const problems: string[] = [];
  const step = async (what: string, action: () => Promise<void>) => {
    try {
      await action();
    } catch (error) {
      problems.push(`${what}: ${(error as Error).message}`);
    }
  };
  // Node processes other than containerd first: kubelet would otherwise restart what we kill.
  const containerd = record.processes.filter((p) => p.name === 'containerd');
  const others = record.processes.filter((p) => p.name !== 'containerd');
  await step('stop node processes', () => stopProcesses(others.toReversed()));
  await step('kill pod processes', () => killCgroupProcesses(record));
  await step('kill containerd shims', () => killShims(record));
  await step('stop containerd', () => stopProcesses(containerd));
  await step('unmount', () => unmountUnder(mountRoots(record)));
  await step('remove cgroups', () => removeCgroups(record));
  await step('remove network', () => removeNetwork(record));
  await step('remove nftables tables', () => removeNftTables(record));
  await step('remove iptables chains', () => removeIptablesChains(record));
  await step('restore sysctls', () => restoreSysctls(record));
  // Last: the directories hold the logs a failure report reads, and mounts had to go first.
  for (const path of [...record.createdPaths, ...record.otherDirs, record.dir]) {
    await step(`remove ${path}`, async () => {
      // Never recurse into a filesystem that is still mounted below: it may be anything.
      const mounted = (await readMounts()).filter((m) => under(m.mountPoint, [path]));
      if (mounted.length > 0) throw new Error(`still mounted below it: ${mounted[0]!.mountPoint}`);
      await rm(path, { recursive: true, force: true, maxRetries: 3 });
    });
  }
  return problems;
}

// ---- processes -------------------------------------------------------------------------------

/** SIGTERM, then SIGKILL after a grace period, each only while the PID still runs its binary. */
async function stopProcesses(processes: readonly RecordedProcess[]): Promise<void> {
  const live = [];
  for (const proc of processes) if (await runs(proc)) live.push(proc);
  for (const proc of live) signal(proc.pid, 'SIGTERM');
  await waitGone(live, GRACE_MS);
  for (const proc of live) if (await runs(proc)) signal(proc.pid, 'SIGKILL');
  const stuck = await waitGone(live, KILL_WAIT_MS);
  if (stuck.length > 0)
    throw new Error(`still running: ${stuck.map((p) => `${p.name} (${p.pid})`).join(', ')}`);
}

/** True while `pid` exists and is still the recorded executable (PIDs get reused). */
async function runs(proc: RecordedProcess): Promise<boolean> {
  if (!isAlive(proc.pid)) return false;
  const exe = await readlink(`/proc/${proc.pid}/exe`).catch(() => undefined);
  // A zombie has no exe link: it is gone for our purposes.
  return exe !== undefined && exe.replace(/ \(deleted\)$/, '') === proc.exe;
}

async function waitGone(processes: readonly RecordedProcess[], ms: number): Promise<RecordedProcess[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = [];
    for (const proc of processes) if (await runs(proc)) left.push(proc);
    if (left.length === 0 || Date.now() > deadline) return left;
    await sleep(100);
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/** Every process in kubelet's cgroups (containers and sandboxes), killed until none is left. */
async function killCgroupProcesses(record: RunRecord): Promise<void> {
  if (!record.cgroupRoot) return;
  const deadline = Date.now() + KILL_WAIT_MS;
  for (;;) {
    const pids = new Set<number>();
    for (const hierarchy of await cgroupHierarchies()) {
      for (const dir of await cgroupTree(join(hierarchy, record.cgroupRoot))) {
        const procs = await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
        for (const pid of procs.split('\n').filter(Boolean)) pids.add(Number(pid));
      }
    }
    if (pids.size === 0) return;
    if (Date.now() > deadline)
      throw new Error(`processes still in ${record.cgroupRoot}: ${[...pids].join(', ')}`);
    for (const pid of pids) signal(pid, 'SIGKILL');
    await sleep(200);
  }
}

/** The run's shims: its shim binary, started for its containerd's socket. */
async function killShims(record: RunRecord): Promise<void> {
  if (!record.shimBinary || !record.containerdSocket) return;
  const deadline = Date.now() + KILL_WAIT_MS;
  for (;;) {
    const shims: number[] = [];
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const exe = await readlink(`/proc/${entry}/exe`).catch(() => '');
      if (exe.replace(/ \(deleted\)$/, '') !== record.shimBinary) continue;
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
      if (cmdline.includes(record.containerdSocket)) shims.push(Number(entry));
    }
    if (shims.length === 0) return;
    if (Date.now() > deadline) throw new Error(`shims still running: ${shims.join(', ')}`);
    for (const pid of shims) signal(pid, 'SIGKILL');
    await sleep(200);
  }
}

// ---- mounts ------------------------------------------------------------------------------------

/** The run's own directory, and the fixed paths it created (shim sockets live in /run/containerd). */
function mountRoots(record: RunRecord): string[] {
  return [record.dir, ...record.createdPaths];
}

function under(path: string, roots: readonly string[]): boolean {
  return roots.some((root) => path === root || path.startsWith(`${root}/`));
}

/** Unmounts everything mounted at or below the roots, deepest first, until nothing is left. */
export async function unmountUnder(roots: readonly string[]): Promise<void> {
  for (let round = 0; ; round++) {
    const mounts = (await readMounts()).map((m) => m.mountPoint).filter((m) => under(m, roots));
    if (mounts.length === 0) return;
    if (round >= 10) throw new Error(`still mounted: ${mounts.join(', ')}`);
    mounts.sort((a, b) => b.split('/').length - a.split('/').length);
    for (const mountPoint of new Set(mounts)) {
      // Lazily on the second try: a mount still busy after every process is gone is only held
      // by the kernel's reference, which lazy unmounting lets go.
      const args = round === 0 ? [mountPoint] : ['-l', mountPoint];
      await run('umount', args).catch(() => undefined);
    }
  }
}

// ---- cgroups -----------------------------------------------------------------------------------

/** A cgroup directory and all below it, deepest first. */
async function cgroupTree(dir: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
  const below = [];
  for (const entry of entries) below.push(...(await cgroupTree(join(dir, entry))));
  return [...below, dir];
}

async function removeCgroups(record: RunRecord): Promise<void> {
  if (!record.cgroupRoot) return;
  const failed: string[] = [];
  for (const hierarchy of await cgroupHierarchies()) {
    for (const dir of await cgroupTree(join(hierarchy, record.cgroupRoot))) {
      // A cgroup only disappears once its last task is gone; give stragglers a moment.
      let removed = false;
      for (let tries = 0; tries < 50 && !removed; tries++) {
        removed = await rmdir(dir).then(
          () => true,
          (error: NodeJS.ErrnoException) => error.code === 'ENOENT',
        );
        if (!removed) await sleep(100);
      }
      if (!removed) failed.push(dir);
    }
  }
  if (failed.length > 0) throw new Error(`could not remove ${failed.join(', ')}`);
}

// ---- network -----------------------------------------------------------------------------------

async function removeNetwork(record: RunRecord): Promise<void> {
  if (!record.bridge || !existsSync(`/sys/class/net/${record.bridge}`)) return;
  // Pod ends of veth pairs vanish with their network namespaces; host ends still attached to
  // the bridge go explicitly, in case a namespace outlived its pod.
  const ports = await readdir(`/sys/class/net/${record.bridge}/brif`).catch(() => [] as string[]);
  for (const port of ports) await run('ip', ['link', 'delete', port]).catch(() => undefined);
  await run('ip', ['link', 'delete', record.bridge]);
}

/** kube-proxy's tables: any table that was not there before the run and carries its name. */
async function removeNftTables(record: RunRecord): Promise<void> {
  const tables = (await run('nft', ['list', 'tables']).catch(() => ({ stdout: '' }))).stdout;
  for (const line of tables.split('\n')) {
    const match = /^table (\S+) (\S+)/.exec(line);
    if (!match) continue;
    const [, family = '', name = ''] = match;
    if (record.nftTablesBefore.includes(`${family} ${name}`) || !name.startsWith('kube-proxy')) continue;
    await run('nft', ['delete', 'table', family, name]);
  }
}

/** KUBE-* chains (kubelet's and kube-proxy's) that were not there before, and jumps to them. */
async function removeIptablesChains(record: RunRecord): Promise<void> {
  for (const save of IPTABLES_SAVE) {
    const dump = (await run(save, []).catch(() => ({ stdout: '' }))).stdout;
    const command = save.replace(/-save$/, '');
    let table = '';
    const chains: string[] = [];
    const jumps: string[][] = [];
    for (const line of dump.split('\n')) {
      if (line.startsWith('*')) table = line.slice(1);
      const chain = /^:(KUBE-\S+)/.exec(line)?.[1];
      if (chain && !record.iptablesChainsBefore.includes(`${save} ${table} ${chain}`))
        chains.push(`${table} ${chain}`);
      const rule = /^-A (\S+) (.*-j (KUBE-\S+).*)$/.exec(line);
      if (rule) jumps.push([table, rule[1]!, rule[2]!, rule[3]!]);
    }
    const ours = new Set(chains);
    for (const [table = '', chain = '', spec = '', target = ''] of jumps) {
      if (!ours.has(`${table} ${target}`)) continue;
      // Rules are printed as iptables arguments; none of kubelet's or kube-proxy's quote spaces.
      await run(command, ['-t', table, '-D', chain, ...spec.split(' ')]).catch(() => undefined);
    }
    for (const entry of chains) {
      const [table = '', chain = ''] = entry.split(' ');
      await run(command, ['-t', table, '-F', chain]).catch(() => undefined);
    }
    for (const entry of chains) {
      const [table = '', chain = ''] = entry.split(' ');
      await run(command, ['-t', table, '-X', chain]);
    }
  }
}

// ---- kernel settings -------------------------------------------------------------------------

async function restoreSysctls(record: RunRecord): Promise<void> {
  for (const [name, value] of Object.entries(record.sysctls)) {
    const path = `/proc/sys/${name}`;
    const now = await readFile(path, 'utf8').catch(() => undefined);
    if (now !== undefined && now.trim() !== value) await writeFile(path, value);
  }
}
