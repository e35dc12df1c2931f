/**
 * The node's binaries: kubelet, kube-scheduler, kube-proxy, kubectl, pause and containerd
 * from Go modules (test/node/build.sh, cached), runc and the CNI plugins from Debian.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runBuildScript } from '../e2e/controlplane.ts';

const run = promisify(execFile);
const BUILD_SCRIPT = fileURLToPath(new URL('./build.sh', import.meta.url));
const CNI_BIN_DIR = '/usr/lib/cni';

/** What the node needs from the machine, and the Debian package that provides it. */
const HOST_TOOLS: readonly { path: string; pkg: string }[] = [
  { path: '/usr/sbin/runc', pkg: 'runc' },
  { path: `${CNI_BIN_DIR}/bridge`, pkg: 'containernetworking-plugins' },
  { path: `${CNI_BIN_DIR}/host-local`, pkg: 'containernetworking-plugins' },
  { path: `${CNI_BIN_DIR}/loopback`, pkg: 'containernetworking-plugins' },
  { path: '/usr/sbin/nft', pkg: 'nftables' },
  { path: '/usr/sbin/iptables', pkg: 'iptables' },
  { path: '/usr/sbin/conntrack', pkg: 'conntrack' },
  { path: '/usr/bin/buildah', pkg: 'buildah' },
  { path: '/usr/sbin/debootstrap', pkg: 'debootstrap' },
  { path: '/usr/bin/busybox', pkg: 'busybox-static' },
  { path: '/usr/bin/openssl', pkg: 'openssl' },
];

export async function requireHostTools(): Promise<void> {
  const missing = HOST_TOOLS.filter((tool) => !existsSync(tool.path));
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((tool) => tool.pkg))].join(' ');
    throw new Error(
      `missing ${missing.map((tool) => tool.path).join(', ')}: apt-get install ${packages} (.ci/run does)`,
    );
  }
  // The seed app's image holds busybox alone: it must not need a dynamic loader.
  const ldd = await run('ldd', ['/usr/bin/busybox']).then(
    (r) => r.stdout,
    (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}`,
  );
  if (!/not a dynamic executable|statically linked/.test(ldd)) {
    throw new Error('/usr/bin/busybox is dynamically linked: apt-get install busybox-static');
  }
}

export interface NodeBinaries {
  kubernetesDir: string;
  containerdDir: string;
  runc: string;
  cniBinDir: string;
  /** Absolute path of one of the built binaries. */
  path(name: string): string;
}

/** Runs build.sh, which prints the two binary directories; a cold build takes many minutes. */
export async function buildNodeBinaries(): Promise<NodeBinaries> {
  const out = await runBuildScript(BUILD_SCRIPT);
  const [kubernetesDir = '', containerdDir = ''] = out.split('\n');
  return {
    kubernetesDir,
    containerdDir,
    runc: '/usr/sbin/runc',
    cniBinDir: CNI_BIN_DIR,
    path: (name) => {
      for (const dir of [kubernetesDir, containerdDir]) {
        if (existsSync(join(dir, name))) return join(dir, name);
      }
      throw new Error(`${name} is not among the node binaries (${kubernetesDir}, ${containerdDir})`);
    },
  };
}
