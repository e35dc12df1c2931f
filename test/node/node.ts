/**
 * A real single-node Kubernetes cluster for tests, started by the tests themselves: the
 * control plane of test/e2e (etcd, kube-apiserver, kube-controller-manager) bound to a bridge
 * of the node's own, kube-scheduler, kube-proxy (nftables), containerd with runc and the CNI
 * bridge plugin, and kubelet. Pods reach the API server, and the API server reaches webhook
 * Services, through kube-proxy's rules; nothing is routed off the bridge, no well-known port
 * is taken, and nothing is pulled (images are imported).
 *
 * Every process, mount, cgroup, link and path it creates is recorded first (record.ts), so
 * stop() -- or the next start, after a crash -- takes it all down by PID and by name.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, realpath, statfs, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { type ControlPlane, SERVICE_CIDR, startControlPlane } from '../e2e/controlplane.ts';
import { freePort } from '../support/ports.ts';
import { buildNodeBinaries, type NodeBinaries, requireHostTools } from './binaries.ts';
import {
  cniConfig,
  containerdConfig,
  kubeletConfig,
  kubeProxyConfig,
  type Network,
  type Paths,
} from './config.ts';
import { cgroupHierarchies, FIXED_PATHS, readHostState } from './host.ts';
import { findRecords, isAlive, RUN_DIR_PREFIX, type RunRecord, saveRecord } from './record.ts';
import { teardown } from './teardown.ts';

const run = promisify(execFile);

export const NODE_NAME = 'logward-node';
/** A subnet nothing else on these machines uses; the bridge takes its first address. */
const NETWORK: Network = {
  bridge: 'logward0',
  address: '10.251.0.1',
  prefixLength: 24,
  subnet: '10.251.0.0/24',
  serviceCidr: SERVICE_CIDR,
};

// A test process that exits without stop() must not leave kubelet or containerd running: an
// 'exit' handler may only do synchronous work, which kill() is. They are our children, so
// their PIDs cannot have been reused yet. Mounts and the rest go at the next start.
const liveRecords = new Set<RunRecord>();
process.on('exit', () => {
  for (const record of liveRecords) {
    for (const proc of record.processes) {
      try {
        process.kill(proc.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
});

export interface ImageArchive {
  /** The reference the archive carries (`ctr images import` names the image after it). */
  ref: string;
  archive: string;
  /** More names for the same image, e.g. the one a manifest refers to. */
  aliases?: string[];
}

export interface StartOptions {
  /** The pod sandbox image (must be among `images`). */
  sandboxImage: string;
  images: readonly ImageArchive[];
  /** Budget from the binaries being ready to the node being Ready. */
  startTimeoutMs?: number;
}

export interface RealNode {
  name: string;
  /** The node IP: the bridge's address. */
  address: string;
  dir: string;
  controlPlane: ControlPlane;
  record: RunRecord;
  /** kubectl as the cluster admin; resolves to stdout, rejects with stderr in the message. */
  kubectl(args: readonly string[], input?: string): Promise<string>;
  /** kubelet's /stats/summary. */
  statsSummary(): Promise<StatsSummary>;
  /** Where kubelet keeps a pod's emptyDir volume on this machine. */
  emptyDirPath(podUid: string, volume: string): string;
  /** The ID (config digest, `sha256:...`) of an imported image, as container statuses report it. */
  imageId(ref: string): Promise<string>;
  /** The last lines of each component's log, for a failure message. */
  logTails(lines?: number): string;
  /** The last lines of one component's log (e.g. kubelet) that contain `text`. */
  logLines(component: string, text: string, lines?: number): string;
  stop(): Promise<void>;
}

export interface StatsSummary {
  node: { fs?: { usedBytes?: number } };
  pods: {
    podRef: { name: string; namespace: string; uid: string };
    containers?: { name: string; rootfs?: { usedBytes?: number }; logs?: { usedBytes?: number } }[];
    volume?: { name: string; usedBytes?: number }[];
    'ephemeral-storage'?: { usedBytes?: number };
  }[];
}

export async function startNode(options: StartOptions): Promise<RealNode> {
  if (process.getuid?.() !== 0)
    throw new Error('a real node needs root (kubelet, containerd, mounts, cgroups)');
  await requireHostTools();
  await cleanStaleRuns();
  const binaries = await buildNodeBinaries();

  await requireDiskFilesystem(tmpdir());
  const dir = await mkdtemp(join(tmpdir(), RUN_DIR_PREFIX));
  const before = await readHostState();
  const record: RunRecord = {
    ownerPid: process.pid,
    dir,
    otherDirs: [],
    processes: [],
    createdPaths: FIXED_PATHS.filter((path) => !before.paths.includes(path)),
    nftTablesBefore: before.nftTables,
    iptablesChainsBefore: before.iptablesChains,
    sysctls: before.sysctls,
  };
  await saveRecord(record);
  liveRecords.add(record);
  const launched: Launched[] = [];
  try {
    return await boot(record, binaries, launched, options);
  } catch (error) {
    const logs = launched.map((l) => tail(l)).join('\n');
    const problems = await teardown(record);
    liveRecords.delete(record);
    const cleanup = problems.length > 0 ? `\nteardown problems:\n${problems.join('\n')}` : '';
    throw new Error(`node failed to start: ${(error as Error).message}\n${logs}${cleanup}`, { cause: error });
  }
}

/**
 * Tears down runs whose test process died before it could. Refuses to start beside a live one,
 * or with `skipLive`, leaves it alone.
 */
export async function cleanStaleRuns(options: { skipLive?: boolean } = {}): Promise<void> {
  for (const record of await findRecords()) {
    if (record.ownerPid !== process.pid && isAlive(record.ownerPid)) {
      if (options.skipLive) continue;
      throw new Error(
        `another real node is running (test process ${record.ownerPid}, ${record.dir}); ` +
          'one node per machine: wait for it or stop that process',
      );
    }
    const problems = await teardown(record);
    if (problems.length > 0)
      throw new Error(`could not clean a previous run's ${record.dir}:\n${problems.join('\n')}`);
  }
}

interface Launched {
  name: string;
  child: ChildProcess;
  logPath: string;
}

async function boot(
  record: RunRecord,
  binaries: NodeBinaries,
  launched: Launched[],
  options: StartOptions,
): Promise<RealNode> {
  const { dir } = record;
  const deadline = Date.now() + (options.startTimeoutMs ?? 180_000);
  const paths: Paths = {
    dir,
    containerdRoot: join(dir, 'containerd', 'root'),
    containerdState: join(dir, 'containerd', 'state'),
    containerdSocket: join(dir, 'containerd', 'containerd.sock'),
    cniConfDir: join(dir, 'cni', 'net.d'),
    cniBinDir: binaries.cniBinDir,
    cniDataDir: join(dir, 'cni', 'networks'),
    runc: binaries.runc,
    kubeletRoot: join(dir, 'kubelet'),
    podLogsDir: join(dir, 'pod-logs'),
  };
  const net = NETWORK;

  // Record each thing before creating it: a crash in between leaves a name teardown ignores.
  record.bridge = net.bridge;
  record.cgroupRoot = `${RUN_DIR_PREFIX}${dir.slice(-6)}`;
  record.containerdSocket = paths.containerdSocket;
  record.shimBinary = await realpath(binaries.path('containerd-shim-runc-v2'));
  await saveRecord(record);
  await createBridge(net);
  await createCgroupRoot(record.cgroupRoot);

  const controlPlane = await startControlPlane({
    address: net.address,
    startTimeoutMs: deadline - Date.now(),
  });
  record.otherDirs.push(controlPlane.dir);
  for (const proc of controlPlane.processes())
    record.processes.push({ ...proc, exe: await realpath(proc.exe) });
  await saveRecord(record);

  const launch = async (name: string, args: string[], env?: NodeJS.ProcessEnv) => {
    const exe = await realpath(binaries.path(name));
    const logPath = join(dir, `${name}.log`);
    const fd = openSync(logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(exe, args, { stdio: ['ignore', fd, fd], env: env ?? process.env });
    } finally {
      closeSync(fd);
    }
    launched.push({ name, child, logPath });
    if (child.pid === undefined) throw new Error(`could not start ${name}`);
    record.processes.push({ name, pid: child.pid, exe });
    await saveRecord(record);
  };
  const waitFor = async (what: string, probe: () => Promise<boolean>) => {
    for (;;) {
      for (const l of launched) {
        if (l.child.exitCode !== null || l.child.signalCode !== null) {
          throw new Error(
            `${l.name} exited (${l.child.exitCode ?? l.child.signalCode}) while waiting for ${what}`,
          );
        }
      }
      if (await probe().catch(() => false)) return;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(250);
    }
  };

  // containerd, with the images the node will run.
  await mkdir(paths.cniConfDir, { recursive: true });
  await writeFile(
    join(paths.cniConfDir, '10-logward-node.conflist'),
    JSON.stringify(cniConfig(net, paths), null, 2),
  );
  const containerdToml = join(dir, 'containerd.toml');
  await writeFile(containerdToml, containerdConfig(paths, options.sandboxImage));
  // containerd finds its shim on PATH.
  await launch('containerd', ['--config', containerdToml, '--log-level', 'warn'], {
    ...process.env,
    PATH: `${binaries.containerdDir}:${process.env.PATH ?? ''}`,
  });
  const ctr = (args: string[]) =>
    run(binaries.path('ctr'), ['--address', paths.containerdSocket, '--namespace', 'k8s.io', ...args], {
      maxBuffer: 16 * 1024 * 1024,
    });
  await waitFor('containerd', async () => {
    if (!existsSync(paths.containerdSocket)) return false;
    await ctr(['version']);
    return true;
  });
  for (const image of options.images) {
    await ctr(['images', 'import', image.archive]);
    for (const alias of image.aliases ?? []) await ctr(['images', 'tag', '--force', image.ref, alias]);
  }

  // Identities, all from the control plane's CA.
  const kubelet = await controlPlane.userKubeConfig(`system:node:${NODE_NAME}`, ['system:nodes']);
  const scheduler = await controlPlane.userKubeConfig('system:kube-scheduler');
  const proxy = await controlPlane.userKubeConfig('system:kube-proxy');
  const serving = await controlPlane.issueServingCert([NODE_NAME, net.address]);

  const schedulerPort = await freePort();
  await launch('kube-scheduler', [
    `--kubeconfig=${scheduler.kubeconfigPath}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${schedulerPort}`,
    '--leader-elect=false',
    '--profiling=false',
  ]);

  const proxyConfig = join(dir, 'kube-proxy.json');
  await writeFile(
    proxyConfig,
    JSON.stringify(
      kubeProxyConfig({
        kubeconfig: proxy.kubeconfigPath,
        nodeName: NODE_NAME,
        net,
        healthzPort: await freePort(),
        metricsPort: await freePort(),
      }),
      null,
      2,
    ),
  );
  await launch('kube-proxy', [`--config=${proxyConfig}`]);

  const kubeletPort = await freePort();
  const kubeletConfigPath = join(dir, 'kubelet.json');
  await writeFile(
    kubeletConfigPath,
    JSON.stringify(
      kubeletConfig({
        paths,
        net,
        port: kubeletPort,
        cgroupRoot: `/${record.cgroupRoot}`,
        clientCaFile: controlPlane.caCertPath,
        tlsCertFile: serving.certPath,
        tlsPrivateKeyFile: serving.keyPath,
      }),
      null,
      2,
    ),
  );
  await launch('kubelet', [
    `--config=${kubeletConfigPath}`,
    `--kubeconfig=${kubelet.kubeconfigPath}`,
    `--root-dir=${paths.kubeletRoot}`,
    `--hostname-override=${NODE_NAME}`,
    `--node-ip=${net.address}`,
    // Speed: cAdvisor's container stats every 2 s instead of 10.
    '--housekeeping-interval=2s',
    '--v=1',
  ]);

  const kubectl = async (args: readonly string[], input?: string) => {
    const child = execFile(binaries.path('kubectl'), [...args], {
      env: { ...process.env, KUBECONFIG: controlPlane.kubeconfigPath },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 120_000,
    });
    if (input !== undefined) child.stdin?.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    const [code] = (await once(child, 'close')) as [number | null];
    if (code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${code}): ${stderr.trim()}`);
    return stdout;
  };

  await waitFor('node Ready', async () => {
    const status = await kubectl([
      'get',
      'node',
      NODE_NAME,
      '-o',
      'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
    ]);
    return status.trim() === 'True';
  });
  await waitFor('kube-proxy rules for the kubernetes Service', async () => {
    const { stdout } = await run('nft', ['list', 'table', 'ip', 'kube-proxy']);
    return stdout.includes(firstAddress(net.serviceCidr));
  });
  await waitFor('kube-scheduler', () => healthz(`https://127.0.0.1:${schedulerPort}/healthz`));

  const user = controlPlane.kubeConfig.getCurrentUser();
  const clientTls = {
    ca: readFileSync(controlPlane.caCertPath),
    cert: Buffer.from(user?.certData ?? '', 'base64'),
    key: Buffer.from(user?.keyData ?? '', 'base64'),
  };
  let stopping: Promise<void> | undefined;
  return {
    name: NODE_NAME,
    address: net.address,
    dir,
    controlPlane,
    record,
    kubectl,
    statsSummary: async () =>
      JSON.parse(
        await httpsGet(`https://${net.address}:${kubeletPort}/stats/summary`, clientTls),
      ) as StatsSummary,
    emptyDirPath: (podUid, volume) =>
      join(paths.kubeletRoot, 'pods', podUid, 'volumes', 'kubernetes.io~empty-dir', volume),
    imageId: async (ref) => {
      // The ID CRI reports (a container status' imageID) is the digest of the image's config.
      const { stdout } = await ctr(['images', 'list', `name==${ref}`]);
      let digest = /sha256:[0-9a-f]{64}/.exec(stdout)?.[0];
      if (!digest) throw new Error(`image ${ref} is not in containerd`);
      for (;;) {
        const content = JSON.parse((await ctr(['content', 'get', digest])).stdout) as {
          manifests?: { digest: string }[];
          config?: { digest: string };
        };
        if (content.config) return content.config.digest;
        digest = content.manifests?.[0]?.digest;
        if (!digest) throw new Error(`image ${ref} has neither a config nor a manifest`);
      }
    },
    logTails: (lines = 30) => launched.map((l) => tail(l, lines)).join('\n'),
    logLines: (component, text, lines = 40) => {
      const log = launched.find((l) => l.name === component)?.logPath;
      if (!log) return `(no ${component} log)`;
      const matching = readFileSync(log, 'utf8')
        .split('\n')
        .filter((line) => line.includes(text));
      return `--- ${component} log, lines with ${JSON.stringify(text)}:\n${matching.slice(-lines).join('\n')}`;
    },
    stop: () => {
      stopping ??= (async () => {
        const problems = await teardown(record);
        liveRecords.delete(record);
        await controlPlane.stop();
        if (problems.length > 0) throw new Error(`node teardown left problems:\n${problems.join('\n')}`);
      })();
      return stopping;
    },
  };
}

/**
 * kubelet keeps emptyDirs under the run's directory: on tmpfs they would count against memory,
 * and the sidecar's lossless capping (fallocate collapse-range) needs a disk filesystem.
 */
async function requireDiskFilesystem(dir: string): Promise<void> {
  const TMPFS_MAGIC = 0x01021994;
  if ((await statfs(dir)).type === TMPFS_MAGIC) {
    throw new Error(
      `${dir} is on tmpfs; point TMPDIR at a disk filesystem (ext4, xfs) for the node's emptyDirs`,
    );
  }
}

async function createBridge(net: Network): Promise<void> {
  if (existsSync(`/sys/class/net/${net.bridge}`)) {
    throw new Error(`network link ${net.bridge} already exists; remove it (ip link delete ${net.bridge})`);
  }
  const { stdout } = await run('ip', ['-o', '-4', 'addr', 'show']);
  if (stdout.includes(` ${net.subnet.replace(/\.0\/\d+$/, '.')}`)) {
    throw new Error(`subnet ${net.subnet} is already in use on this machine`);
  }
  await run('ip', ['link', 'add', net.bridge, 'type', 'bridge']);
  await run('ip', ['addr', 'add', `${net.address}/${net.prefixLength}`, 'dev', net.bridge]);
  await run('ip', ['link', 'set', net.bridge, 'up']);
}

/** kubelet requires its cgroupRoot to exist in every hierarchy; cpuset needs its CPUs and nodes. */
async function createCgroupRoot(name: string): Promise<void> {
  for (const hierarchy of await cgroupHierarchies()) {
    const dir = join(hierarchy, name);
    await mkdir(dir, { recursive: true });
    if (existsSync(join(hierarchy, 'cpuset.cpus'))) {
      for (const file of ['cpuset.cpus', 'cpuset.mems']) {
        await writeFile(join(dir, file), await readFile(join(hierarchy, file), 'utf8'));
      }
    }
  }
}

function firstAddress(cidr: string): string {
  return cidr.replace(/\.0\/\d+$/, '.1');
}

function tail(l: Launched, lines = 30): string {
  let text: string;
  try {
    text = readFileSync(l.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    text = '(no log)';
  }
  const state = l.child.exitCode ?? l.child.signalCode ?? 'running';
  return `--- ${l.name} (${state}), last lines of its log:\n${text}`;
}

function healthz(url: string): Promise<boolean> {
  return httpsGet(url, { rejectUnauthorized: false }).then(
    (body) => body.trim() === 'ok',
    () => false,
  );
}

function httpsGet(url: string, tls: https.RequestOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = https.get(url, { ...tls, agent: false, timeout: 10_000 }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () =>
        response.statusCode === 200
          ? resolve(body)
          : reject(new Error(`${url}: ${response.statusCode} ${body}`)),
      );
    });
    request.on('timeout', () => request.destroy(new Error(`${url}: timed out`)));
    request.on('error', reject);
  });
}
