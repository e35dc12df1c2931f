/**
 * What a node run may change on the machine, read before and after: mounts, network links,
 * cgroups, nftables tables, iptables chains, the host directories kubelet, containerd and CNI
 * use at fixed paths, and the kernel settings kubelet sets. The harness records the "before"
 * to undo what it did; the tests compare the two to prove a run left nothing behind.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where kubelet, containerd, runc and CNI write whatever their configuration says. */
export const FIXED_PATHS = [
  '/var/lib/kubelet',
  '/var/log/pods',
  '/var/log/containers',
  '/var/lib/cni',
  '/var/lib/containerd',
  '/run/containerd',
  '/run/netns',
  '/run/runc',
  '/run/kubernetes',
  '/etc/cni',
  '/etc/containerd',
  '/etc/kubernetes',
  '/opt/cni',
] as const;

/**
 * Kernel settings a node may change: kubelet's "kernel tunables" (it sets them unless
 * protectKernelDefaults), and what kube-proxy and CNI plugins are known to touch.
 */
export const SYSCTLS = [
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
  'net/ipv4/ip_forward',
  'net/ipv4/conf/all/route_localnet',
  'net/netfilter/nf_conntrack_max',
  'net/netfilter/nf_conntrack_tcp_timeout_established',
  'net/netfilter/nf_conntrack_tcp_timeout_close_wait',
  'net/bridge/bridge-nf-call-iptables',
  'net/bridge/bridge-nf-call-ip6tables',
] as const;

const CGROUP_ROOT = '/sys/fs/cgroup';

export interface HostState {
  /** Mount points, one entry per mount (a point mounted twice appears twice). */
  mounts: string[];
  /** Network interface names. */
  links: string[];
  /**
   * `<hierarchy>/<dir>` for every top-level cgroup of every hierarchy, and for kubelet's
   * (`kubepods*`) one level down. Not deeper: the machine's own supervisor creates and removes
   * cgroups of its own below the top level while other work runs.
   */
  cgroups: string[];
  /** `<family> <name>` of every nftables table. */
  nftTables: string[];
  /** `<iptables-save command> <table> <chain>` of every chain, built-in ones included. */
  iptablesChains: string[];
  /** The fixed paths that exist. */
  paths: string[];
  /** Current values of SYSCTLS, by name (missing ones left out). */
  sysctls: Record<string, string>;
}

export async function readHostState(): Promise<HostState> {
  const [mounts, links, cgroups, nftTables, iptablesChains, sysctls] = await Promise.all([
    readMounts().then((list) => list.map((m) => m.mountPoint)),
    readLinks(),
    readCgroups(),
    readNftTables(),
    readIptablesChains(),
    readSysctls(),
  ]);
  const paths = FIXED_PATHS.filter((path) => existsSync(path));
  return { mounts, links, cgroups, nftTables, iptablesChains, paths, sysctls };
}

/** Everything in `after` that was not in `before`, and every sysctl that changed, as sentences. */
export function leftovers(before: HostState, after: HostState): string[] {
  const added = (kind: string, a: readonly string[], b: readonly string[]) => {
    const remaining = new Map<string, number>();
    for (const item of a) remaining.set(item, (remaining.get(item) ?? 0) + 1);
    const out: string[] = [];
    for (const item of b) {
      const left = remaining.get(item) ?? 0;
      if (left > 0) remaining.set(item, left - 1);
      else out.push(`${kind} ${item}`);
    }
    return out;
  };
  const changedSysctls = Object.entries(before.sysctls)
    .filter(([name, value]) => after.sysctls[name] !== value)
    .map(([name, value]) => `sysctl ${name} is ${after.sysctls[name]}, was ${value}`);
  return [
    ...added('mount', before.mounts, after.mounts),
    ...added('network link', before.links, after.links),
    ...added('cgroup', before.cgroups, after.cgroups),
    ...added('nftables table', before.nftTables, after.nftTables),
    ...added('iptables chain', before.iptablesChains, after.iptablesChains),
    ...added('directory', before.paths, after.paths),
    ...changedSysctls,
  ];
}

export interface Mount {
  mountPoint: string;
  fsType: string;
  source: string;
  options: string;
}

/** /proc/self/mountinfo, with the octal escapes of paths decoded. */
export async function readMounts(): Promise<Mount[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  const decode = (s: string) =>
    s.replace(/\\([0-7]{3})/g, (_, octal) => String.fromCharCode(Number.parseInt(octal, 8)));
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      // <id> <parent> <major:minor> <root> <mount point> <options> [optional...] - <type> <source> <super options>
      const [left = '', right = ''] = line.split(' - ');
      const fields = left.split(' ');
      const [fsType = '', source = '', options = ''] = right.split(' ');
      return { mountPoint: decode(fields[4] ?? ''), fsType, source: decode(source), options };
    });
}

async function readLinks(): Promise<string[]> {
  return readdir('/sys/class/net');
}

/** The cgroup hierarchies mounted under /sys/fs/cgroup (v1 controllers and the unified one). */
export async function cgroupHierarchies(): Promise<string[]> {
  const mounts = await readMounts();
  return mounts
    .filter(
      (m) => (m.fsType === 'cgroup' || m.fsType === 'cgroup2') && m.mountPoint.startsWith(`${CGROUP_ROOT}`),
    )
    .map((m) => m.mountPoint);
}

async function readCgroups(): Promise<string[]> {
  const out: string[] = [];
  for (const hierarchy of await cgroupHierarchies()) {
    for (const first of await subdirectories(hierarchy)) {
      out.push(`${hierarchy}/${first}`);
      for (const second of await subdirectories(join(hierarchy, first))) {
        if (second.startsWith('kubepods')) out.push(`${hierarchy}/${first}/${second}`);
      }
    }
  }
  return out;
}

async function subdirectories(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

async function readNftTables(): Promise<string[]> {
  const out = await optionalCommand('nft', ['list', 'tables']);
  return out
    .split('\n')
    .map((line) => /^table (\S+) (\S+)/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]} ${m[2]}`);
}

/** Both iptables front ends, where installed: a chain may live in either. */
export const IPTABLES_SAVE = [
  'iptables-save',
  'ip6tables-save',
  'iptables-legacy-save',
  'ip6tables-legacy-save',
];

async function readIptablesChains(): Promise<string[]> {
  const out: string[] = [];
  for (const command of IPTABLES_SAVE) {
    let table = '';
    for (const line of (await optionalCommand(command, [])).split('\n')) {
      if (line.startsWith('*')) table = line.slice(1);
      const chain = /^:(\S+)/.exec(line)?.[1];
      if (chain) out.push(`${command} ${table} ${chain}`);
    }
  }
  return out;
}

async function readSysctls(): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  for (const name of SYSCTLS) {
    try {
      values[name] = (await readFile(`/proc/sys/${name}`, 'utf8')).trim();
    } catch {
      // Not on this kernel, or its module is not loaded.
    }
  }
  return values;
}

/** A command's stdout, or '' where it is not installed or fails (then there is nothing to list). */
async function optionalCommand(command: string, args: string[]): Promise<string> {
  try {
    return (await run(command, args, { maxBuffer: 64 * 1024 * 1024 })).stdout;
  } catch {
    return '';
  }
}
