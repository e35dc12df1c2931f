/**
 * A real, throwaway Kubernetes control plane for end-to-end tests: etcd, kube-apiserver and
 * kube-controller-manager, built from the Go modules pinned in test/controlplane and bound to
 * loopback. There is no kubelet, so pods stay Pending; tests read them back from the API.
 * test/node adds a kubelet: it passes the address of its node's bridge instead of loopback.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { type AddressInfo, createServer, isIP, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';

export interface ControlPlaneOptions {
  /**
   * Directory holding etcd, kube-apiserver and kube-controller-manager. Defaults to
   * $LOGWARD_CONTROLPLANE_BIN, else to what test/controlplane/build.sh builds (and caches).
   */
  binDir?: string;
  /** Budget for bringing all three processes up once the binaries exist. */
  startTimeoutMs?: number;
  /**
   * The address the API server listens on and advertises as the `kubernetes` Service's
   * endpoint. Loopback by default, which only processes on this machine reach; pods on a node
   * need an address they can route to, such as their bridge's.
   */
  address?: string;
}

/** A kubeconfig for one identity, on disk (for child processes) and loaded (for the test). */
export interface Identity {
  kubeconfigPath: string;
  kubeConfig: KubeConfig;
}

export interface ServingCert {
  certPath: string;
  keyPath: string;
  /** Base64 of the CA certificate, as webhook configurations' `clientConfig.caBundle` wants it. */
  caBundle: string;
}

export interface ControlPlane extends Identity {
  /** Temporary directory with certificates, kubeconfigs, etcd data and one log per process. */
  dir: string;
  /** The API server's https URL. */
  server: string;
  /** The cluster CA's certificate (PEM), e.g. for a kubelet's clientCAFile. */
  caCertPath: string;
  /** Client certificate identity with the given user name and groups, subject to RBAC. */
  userKubeConfig(name: string, groups?: readonly string[]): Promise<Identity>;
  /** The running processes' PIDs and executables, for a harness that must be able to kill them. */
  processes(): { name: string; pid: number; exe: string }[];
  /** Authenticates as the service account by name, so RoleBindings to it apply. */
  serviceAccountKubeConfig(namespace: string, name: string): Promise<Identity>;
  /** A serving certificate from the cluster CA, e.g. for a webhook the API server calls. */
  issueServingCert(hosts: readonly string[]): Promise<ServingCert>;
  stop(): Promise<void>;
}

const BUILD_SCRIPT = fileURLToPath(new URL('../controlplane/build.sh', import.meta.url));
export const SERVICE_CIDR = '10.0.0.0/24';
const LOOPBACK = '127.0.0.1';
const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
const STOP_GRACE_MS = 10_000;
const LOG_TAIL_LINES = 25;

// Children must not outlive a test process that exits without calling stop(), nor leave
// their directories behind (etcd alone preallocates over 100 MB). An 'exit' handler may only
// do synchronous work, which kill() and rmSync() are.
const running = new Set<ChildProcess>();
const liveDirs = new Set<string>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
});

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const binDir =
    options.binDir ?? process.env.LOGWARD_CONTROLPLANE_BIN ?? (await buildControlPlaneBinaries());
  const deadline = Date.now() + (options.startTimeoutMs ?? 120_000);
  const dir = await mkdtemp(join(tmpdir(), 'logward-controlplane-'));
  liveDirs.add(dir);
  const address = options.address ?? LOOPBACK;
  const boot: Boot = { binDir, dir, deadline, address, procs: [] };
  try {
    return await start(boot);
  } catch (error) {
    // Read the logs before the directory goes: they are usually the only useful clue.
    const logs = boot.procs.map(logTail).join('\n');
    await teardown(boot.procs, dir);
    throw new Error(`control plane failed to start: ${(error as Error).message}\n${logs}`, { cause: error });
  }
}

/** What every startup step shares; `procs` collects what must be stopped on failure. */
interface Boot {
  binDir: string;
  dir: string;
  deadline: number;
  address: string;
  procs: Proc[];
}

async function start(boot: Boot): Promise<ControlPlane> {
  const pki = await createPki(join(boot.dir, 'pki'));
  const ports = await freePorts(['etcdClient', 'etcdPeer', 'apiserver', 'controllerManager']);
  await startEtcd(boot, ports.etcdClient, ports.etcdPeer);
  const { server, kubeconfigPath } = await startApiserver(boot, pki, ports.etcdClient, ports.apiserver);
  await startControllerManager(boot, pki, server, ports.controllerManager);
  return handle(boot, pki, server, kubeconfigPath);
}

async function startEtcd(boot: Boot, clientPort: number, peerPort: number): Promise<void> {
  launch(boot, 'etcd', etcdArgs(boot.dir, clientPort, peerPort));
  await waitFor('etcd health', boot, () => healthy(`http://127.0.0.1:${clientPort}/health`));
}

/** Starts the API server; returns its URL and an admin kubeconfig for it. */
async function startApiserver(
  boot: Boot,
  pki: Pki,
  etcdPort: number,
  port: number,
): Promise<{ server: string; kubeconfigPath: string }> {
  const serving = await pki.issue('kube-apiserver', {
    cn: 'kube-apiserver',
    usage: 'server',
    sans: [
      ...new Set([LOOPBACK, boot.address]),
      'localhost',
      ...serviceNames('kubernetes', 'default'),
      firstServiceIp(),
    ],
  });
  // Its identity towards kubelets, for logs, exec and port-forward where a node runs.
  const kubeletClient = await pki.issue('kube-apiserver-kubelet-client', {
    cn: 'kube-apiserver-kubelet-client',
    orgs: ['system:masters'],
    usage: 'client',
  });
  launch(boot, 'kube-apiserver', apiserverArgs(pki, serving, kubeletClient, etcdPort, port, boot.address));

  const server = `https://${boot.address}:${port}`;
  const admin = await pki.issue('admin', {
    cn: 'logward-e2e-admin',
    orgs: ['system:masters'],
    usage: 'client',
  });
  const tls = { ca: readFileSync(pki.ca.cert), cert: readFileSync(admin.cert), key: readFileSync(admin.key) };
  await waitFor('kube-apiserver /readyz', boot, () => healthy(`${server}/readyz`, tls));
  const kubeconfigPath = await writeKubeconfig(
    join(boot.dir, 'admin.kubeconfig'),
    server,
    pki.ca.cert,
    admin,
  );
  return { server, kubeconfigPath };
}

async function startControllerManager(boot: Boot, pki: Pki, server: string, port: number): Promise<void> {
  // --use-service-account-credentials=false runs every controller as this one identity, so it
  // needs more than the system:kube-controller-manager role grants.
  const identity = await pki.issue('kube-controller-manager', {
    cn: 'system:kube-controller-manager',
    orgs: ['system:masters'],
    usage: 'client',
  });
  const kubeconfig = join(boot.dir, 'kube-controller-manager.kubeconfig');
  await writeKubeconfig(kubeconfig, server, pki.ca.cert, identity);
  const certDir = join(boot.dir, 'kube-controller-manager');
  launch(boot, 'kube-controller-manager', controllerManagerArgs(pki, kubeconfig, port, certDir));
  // Its serving certificate is self-signed, and only liveness is asked of it here.
  await waitFor('kube-controller-manager /healthz', boot, () =>
    healthy(`https://127.0.0.1:${port}/healthz`, { rejectUnauthorized: false }),
  );
}

/** The running control plane as tests see it. */
function handle(boot: Boot, pki: Pki, server: string, kubeconfigPath: string): ControlPlane {
  const identity = async (file: string, request: CertRequest): Promise<Identity> => {
    const pair = await pki.issue(file, request);
    const path = pair.cert.replace(/\.crt$/, '.kubeconfig');
    await writeKubeconfig(path, server, pki.ca.cert, pair);
    return { kubeconfigPath: path, kubeConfig: loadKubeConfig(path) };
  };
  let stopping: Promise<void> | undefined;
  return {
    dir: boot.dir,
    server,
    caCertPath: pki.ca.cert,
    kubeconfigPath,
    kubeConfig: loadKubeConfig(kubeconfigPath),
    processes: () =>
      boot.procs
        .filter((proc) => proc.child.pid !== undefined)
        .map((proc) => ({ name: proc.name, pid: proc.child.pid!, exe: join(boot.binDir, proc.name) })),
    userKubeConfig: (name, groups = []) =>
      identity(`user-${name}`, { cn: name, orgs: groups, usage: 'client' }),
    serviceAccountKubeConfig: (namespace, name) =>
      identity(`sa-${namespace}-${name}`, {
        cn: `system:serviceaccount:${namespace}:${name}`,
        orgs: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`],
        usage: 'client',
      }),
    issueServingCert: async (hosts) => {
      const [cn] = hosts;
      if (cn === undefined) throw new Error('a serving certificate needs at least one host');
      const pair = await pki.issue(`serving-${cn}`, { cn, sans: hosts, usage: 'server' });
      const caBundle = (await readFile(pki.ca.cert)).toString('base64');
      return { certPath: pair.cert, keyPath: pair.key, caBundle };
    },
    stop: () => {
      stopping ??= teardown(boot.procs, boot.dir);
      return stopping;
    },
  };
}

async function teardown(procs: readonly Proc[], dir: string): Promise<void> {
  await stopAll(procs);
  await rm(dir, { recursive: true, force: true });
  liveDirs.delete(dir);
}

// ---- binaries ------------------------------------------------------------------------------

/**
 * Runs a build script whose stdout is what it built (progress goes to our stderr, so a long first
 * build does not look like a hang); a cold build takes many minutes.
 */
export async function runBuildScript(script: string): Promise<string> {
  const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`${script} exited with ${code}`);
  return out.trim();
}

/** The control plane's binary directory, built by test/controlplane/build.sh. */
export function buildControlPlaneBinaries(): Promise<string> {
  return runBuildScript(BUILD_SCRIPT);
}

// ---- process arguments ---------------------------------------------------------------------

function etcdArgs(dir: string, clientPort: number, peerPort: number): string[] {
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  return [
    '--name=e2e',
    `--data-dir=${join(dir, 'etcd')}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=e2e=${peer}`,
    // The data is thrown away after the run; fsync would only slow every write down.
    '--unsafe-no-fsync',
    '--log-level=warn',
  ];
}

function apiserverArgs(
  pki: Pki,
  serving: KeyPair,
  kubeletClient: KeyPair,
  etcdPort: number,
  port: number,
  address: string,
): string[] {
  return [
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    `--bind-address=${address}`,
    `--advertise-address=${address}`,
    `--secure-port=${port}`,
    `--tls-cert-file=${serving.cert}`,
    `--tls-private-key-file=${serving.key}`,
    `--client-ca-file=${pki.ca.cert}`,
    '--authorization-mode=Node,RBAC',
    // On top of the defaults; listed because the Logward tests depend on them.
    '--enable-admission-plugins=MutatingAdmissionWebhook,ValidatingAdmissionWebhook,PodSecurity',
    `--service-cluster-ip-range=${SERVICE_CIDR}`,
    `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
    `--service-account-key-file=${pki.serviceAccount.publicKey}`,
    `--service-account-signing-key-file=${pki.serviceAccount.privateKey}`,
    `--kubelet-client-certificate=${kubeletClient.cert}`,
    `--kubelet-client-key=${kubeletClient.key}`,
    '--kubelet-preferred-address-types=InternalIP',
    '--profiling=false',
    // Endpoints may not point at loopback, so there the default reconciler would fail forever;
    // elsewhere it publishes the address as the `kubernetes` Service's endpoint.
    ...(address === LOOPBACK ? ['--endpoint-reconciler-type=none'] : []),
  ];
}

function controllerManagerArgs(pki: Pki, kubeconfig: string, port: number, certDir: string): string[] {
  return [
    // No --authentication/authorization-kubeconfig: only /healthz is asked of its secure port,
    // and that path is always allowed.
    `--kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    // Where it keeps the self-signed serving certificate it generates.
    `--cert-dir=${certDir}`,
    '--leader-elect=false',
    '--controllers=*',
    '--use-service-account-credentials=false',
    // For kube-root-ca.crt config maps and service account token secrets.
    `--root-ca-file=${pki.ca.cert}`,
    `--service-account-private-key-file=${pki.serviceAccount.privateKey}`,
    '--profiling=false',
  ];
}

function serviceNames(service: string, namespace: string): string[] {
  const svc = `${service}.${namespace}.svc`;
  return [service, `${service}.${namespace}`, svc, `${svc}.cluster.local`];
}

/** The API server claims the first address of the service range for `kubernetes`. */
function firstServiceIp(): string {
  return SERVICE_CIDR.replace(/\.0\/\d+$/, '.1');
}

// ---- certificates --------------------------------------------------------------------------

interface KeyPair {
  cert: string;
  key: string;
}

interface CertRequest {
  cn: string;
  orgs?: readonly string[];
  sans?: readonly string[];
  usage: 'server' | 'client';
}

interface Pki {
  ca: KeyPair;
  serviceAccount: { privateKey: string; publicKey: string };
  issue(file: string, request: CertRequest): Promise<KeyPair>;
}

const execFileAsync = promisify(execFile);
const openssl = (args: string[]) => execFileAsync('openssl', args);

// P-256 keys: generated instantly, and accepted everywhere Kubernetes takes a key.
const CURVE = 'ec_paramgen_curve:P-256';

async function createPki(dir: string): Promise<Pki> {
  await mkdir(dir);
  const ca = { cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') };
  await writeFile(join(dir, 'ca.cnf'), opensslConfig('logward-e2e-ca', [], caExtensions()));
  await newCert(join(dir, 'ca.cnf'), ca);

  const serviceAccount = { privateKey: join(dir, 'sa.key'), publicKey: join(dir, 'sa.pub') };
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', CURVE, '-out', serviceAccount.privateKey]);
  await openssl(['pkey', '-in', serviceAccount.privateKey, '-pubout', '-out', serviceAccount.publicKey]);

  // Numbered, so issuing for the same name twice never overwrites files a process may be using.
  let issued = 0;
  const issue = async (file: string, request: CertRequest): Promise<KeyPair> => {
    issued += 1;
    const base = join(dir, `${issued}-${file.replace(/[^\w.-]/g, '_')}`);
    const pair = { cert: `${base}.crt`, key: `${base}.key` };
    await writeFile(`${base}.cnf`, opensslConfig(request.cn, request.orgs ?? [], leafExtensions(request)));
    await newCert(`${base}.cnf`, pair, ca);
    return pair;
  };
  return { ca, serviceAccount, issue };
}

/** A new key and a certificate for it, signed by `ca` or else by itself. */
async function newCert(config: string, pair: KeyPair, ca?: KeyPair): Promise<void> {
  const signer = ca ? ['-CA', ca.cert, '-CAkey', ca.key] : [];
  const newKey = ['-newkey', 'ec', '-pkeyopt', CURVE, '-noenc', '-keyout', pair.key];
  await openssl(['req', '-x509', '-days', '2', '-config', config, ...newKey, ...signer, '-out', pair.cert]);
}

/** A self-contained config, so the host's openssl.cnf cannot add extensions of its own. */
function opensslConfig(cn: string, orgs: readonly string[], extensions: string[]): string {
  for (const value of [cn, ...orgs]) {
    // Kubernetes user and group names are plain; anything else would need config escaping.
    if (!/^[\w.:@-]+$/.test(value)) throw new Error(`unsupported certificate name ${JSON.stringify(value)}`);
  }
  return [
    '[req]',
    'distinguished_name = dn',
    'x509_extensions = ext',
    'prompt = no',
    '[dn]',
    `CN = ${cn}`,
    // Numbered so a certificate can carry several O= entries, i.e. several groups.
    ...orgs.map((org, i) => `${i}.O = ${org}`),
    '[ext]',
    ...extensions,
    '',
  ].join('\n');
}

function caExtensions(): string[] {
  return ['basicConstraints = critical,CA:TRUE', 'keyUsage = critical,keyCertSign,cRLSign'];
}

function leafExtensions(request: CertRequest): string[] {
  const extensions = [
    'basicConstraints = critical,CA:FALSE',
    'keyUsage = critical,digitalSignature',
    `extendedKeyUsage = ${request.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
  ];
  const sans = (request.sans ?? []).map((san) => (isIP(san) ? `IP:${san}` : `DNS:${san}`));
  if (sans.length > 0) extensions.push(`subjectAltName = ${sans.join(',')}`);
  return extensions;
}

// ---- kubeconfigs ---------------------------------------------------------------------------

/** Writes a kubeconfig with the certificates inlined, so it stays valid wherever it is copied. */
async function writeKubeconfig(
  path: string,
  server: string,
  caCert: string,
  client: KeyPair,
): Promise<string> {
  const base64 = async (file: string) => (await readFile(file)).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'logward-e2e', cluster: { server, 'certificate-authority-data': await base64(caCert) } },
    ],
    users: [
      {
        name: 'logward-e2e',
        user: {
          'client-certificate-data': await base64(client.cert),
          'client-key-data': await base64(client.key),
        },
      },
    ],
    contexts: [{ name: 'logward-e2e', context: { cluster: 'logward-e2e', user: 'logward-e2e' } }],
    'current-context': 'logward-e2e',
  };
  // JSON is YAML, and every kubeconfig reader accepts it.
  await writeFile(path, JSON.stringify(config, null, 2), { mode: 0o600 });
  return path;
}

function loadKubeConfig(path: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(path);
  return kubeConfig;
}

// ---- processes -----------------------------------------------------------------------------

interface Proc {
  name: string;
  child: ChildProcess;
  logPath: string;
  spawnError?: Error;
}

/** Starts one of the binaries, logging to `<name>.log`, and adds it to what must be stopped. */
function launch(boot: Boot, name: string, args: string[]): void {
  const logPath = join(boot.dir, `${name}.log`);
  // The child writes straight to the file: nothing to drain, and the log survives a crash.
  const fd = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(join(boot.binDir, name), args, { stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const proc: Proc = { name, child, logPath };
  running.add(child);
  child.on('exit', () => running.delete(child));
  child.on('error', (error) => {
    proc.spawnError = error;
    running.delete(child);
  });
  boot.procs.push(proc);
}

/** Why the process is gone, or undefined while it runs. */
function exitReason(proc: Proc): string | undefined {
  const { child, spawnError } = proc;
  if (spawnError) return `could not start: ${spawnError.message}`;
  if (child.exitCode !== null) return `exited with code ${child.exitCode}`;
  if (child.signalCode !== null) return `killed by ${child.signalCode}`;
  return undefined;
}

/** Reverse start order, so nothing spends its shutdown complaining that a dependency left. */
async function stopAll(procs: readonly Proc[]): Promise<void> {
  for (const proc of [...procs].reverse()) await stopProcess(proc);
}

async function stopProcess(proc: Proc): Promise<void> {
  if (exitReason(proc) !== undefined || proc.child.pid === undefined) return;
  const exited = once(proc.child, 'exit');
  proc.child.kill('SIGTERM');
  const escalate = setTimeout(() => proc.child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(escalate);
}

function logTail(proc: Proc): string {
  let lines: string[];
  try {
    lines = readFileSync(proc.logPath, 'utf8').trimEnd().split('\n').slice(-LOG_TAIL_LINES);
  } catch {
    lines = ['(no log)'];
  }
  const state = exitReason(proc) ?? 'running';
  return `--- ${proc.name} (${state}), last lines of its log:\n${lines.join('\n')}`;
}

// ---- readiness -----------------------------------------------------------------------------

async function waitFor(what: string, boot: Boot, probe: () => Promise<boolean>): Promise<void> {
  for (;;) {
    // A crashed process never becomes ready; fail now rather than at the deadline.
    for (const proc of boot.procs) {
      const reason = exitReason(proc);
      if (reason) throw new Error(`${proc.name} ${reason} while waiting for ${what}`);
    }
    if (await probe()) return;
    if (Date.now() > boot.deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

/** True when the URL answers 200; connection errors just mean "not yet". */
function healthy(url: string, tls: https.RequestOptions = {}): Promise<boolean> {
  const get = url.startsWith('https:') ? https.get : http.get;
  return new Promise((resolve) => {
    const request = get(url, { ...tls, agent: false, timeout: 5_000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

/** One free loopback port per name. */
async function freePorts<Name extends string>(names: readonly Name[]): Promise<Record<Name, number>> {
  // Hold every listener until all ports are known, so the kernel cannot hand one out twice.
  const servers: Server[] = [];
  try {
    const ports = {} as Record<Name, number>;
    for (const name of names) {
      const server = createServer();
      servers.push(server);
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      ports[name] = (server.address() as AddressInfo).port;
    }
    return ports;
  } finally {
    for (const server of servers) server.close();
  }
}
