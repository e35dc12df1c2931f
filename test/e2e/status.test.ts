import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AppsV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type V1Pod,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryIo } from '../../base/testing.ts';
import { run } from '../../cli/run.ts';
import { KEYS } from '../../contract/keys.ts';
import { decide } from '../../inject/decide.ts';
import { METRICS_PORT_NAME, SIDECAR_CONTAINER } from '../../inject/names.ts';
import { cluster } from '../../inject/testing.ts';
import { readManifests } from '../deploy/tools.ts';
import { freePort } from '../support/ports.ts';
import { type ControlPlane, startControlPlane } from './controlplane.ts';
import { until } from './installed-webhook.ts';

// `logward status` against a real kube-apiserver and a live sidecar. There is no kubelet here,
// so the injected pod's sidecar is a real `logward sidecar` process on this machine, and the pod
// reports this machine's address as its podIP: the API server's pod proxy then reaches the
// sidecar's /metrics exactly as it would reach a pod's. The address must not be loopback, which
// the API server refuses to proxy to.

const LOGWARD = fileURLToPath(new URL('../../cli/logward.ts', import.meta.url));
const INSTALL = fileURLToPath(new URL('../../deploy/install.yaml', import.meta.url));

let cp: ControlPlane;
let core: CoreV1Api;
let sidecar: ChildProcess;
let logDir: string;
let address: string;
let port: number;

/** This machine's first IPv4 address that is not loopback. */
function ownAddress(): string {
  const found = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal);
  if (!found)
    throw new Error(
      'this test needs a non-loopback IPv4 address (the API server does not proxy to loopback)',
    );
  return found.address;
}

async function status(...args: string[]) {
  return await statusAs(cp.kubeconfigPath, ...args);
}

async function statusAs(kubeconfig: string, ...args: string[]) {
  const io = memoryIo('', { HOME: tmpdir() });
  const code = await run(['status', `--kubeconfig=${kubeconfig}`, ...args], io.io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

beforeAll(async () => {
  address = ownAddress();
  cp = await startControlPlane();
  core = cp.kubeConfig.makeApiClient(CoreV1Api);

  // The live sidecar: a rotated file idle long enough to be compressed, so it rotates at once.
  logDir = mkdtempSync(join(tmpdir(), 'logward-status-'));
  writeFileSync(join(logDir, 'app.log'), 'now\n');
  writeFileSync(join(logDir, 'app.log.1'), 'yesterday\n'.repeat(10_000));
  const hourAgo = new Date(Date.now() - 3_600_000);
  utimesSync(join(logDir, 'app.log.1'), hourAgo, hourAgo);
  port = await freePort();
  sidecar = spawn(
    process.execPath,
    [
      LOGWARD,
      'sidecar',
      `--dir=${logDir}`,
      `--metrics-port=${port}`,
      '--size-limit=64Mi',
      '--schedule=* * * * * *',
    ],
    { stdio: 'ignore' },
  );
  await until(
    'the sidecar to rotate app.log.1',
    async () => {
      const text = await (await fetch(`http://${address}:${port}/metrics`)).text();
      const rotated = /^logward_sidecar_last_rotation_timestamp_seconds (\S+)$/m.exec(text)?.[1];
      return Number(rotated) > 0 ? true : undefined;
    },
    60_000,
  );

  await core.createNamespace({
    body: { metadata: { name: 'shop', annotations: { [KEYS.inject]: 'true', [KEYS.logDir]: '/log' } } },
  });
  // The pod as the webhook injects it (the same core), its sidecar listening where ours does.
  const base: V1Pod = {
    metadata: { name: 'web-1', namespace: 'shop', annotations: { [KEYS.sizeLimit]: '64Mi' } },
    spec: { containers: [{ name: 'app', image: 'registry.example.com/web:1' }] },
  };
  const decision = decide(base, {
    ...cluster,
    namespace: 'shop',
    workloadAnnotations: {},
    namespaceAnnotations: { [KEYS.inject]: 'true', [KEYS.logDir]: '/log' },
  });
  if (decision.kind !== 'inject') throw new Error(JSON.stringify(decision));
  const container = decision.pod.spec!.initContainers!.find((c) => c.name === SIDECAR_CONTAINER)!;
  container.ports = [{ name: METRICS_PORT_NAME, containerPort: port }];
  await core.createNamespacedPod({ namespace: 'shop', body: decision.pod });
  await core.patchNamespacedPodStatus(
    {
      name: 'web-1',
      namespace: 'shop',
      body: { status: { phase: 'Running', podIP: address, podIPs: [{ ip: address }] } },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  // Opted in by its namespace, created while no webhook was there: no sidecar.
  await core.createNamespacedPod({
    namespace: 'shop',
    body: {
      metadata: { name: 'web-2' },
      spec: { containers: [{ name: 'app', image: 'registry.example.com/web:1' }] },
    },
  });
  // Fits the built-in 1Gi size limit, not the 512Mi the webhook's Deployment sets (below).
  await core.createNamespacedPod({
    namespace: 'shop',
    body: {
      metadata: { name: 'web-3', annotations: { [KEYS.maxTotalSize]: '900Mi' } },
      spec: { containers: [{ name: 'app', image: 'registry.example.com/web:1' }] },
    },
  });
  await core.createNamespace({ body: { metadata: { name: 'logward-system' } } });
  await cp.kubeConfig.makeApiClient(AppsV1Api).createNamespacedDeployment({
    namespace: 'logward-system',
    body: {
      metadata: { name: 'logward-webhook' },
      spec: {
        selector: { matchLabels: { app: 'logward' } },
        template: {
          metadata: { labels: { app: 'logward' } },
          spec: {
            containers: [
              {
                name: 'webhook',
                image: 'ghcr.io/logward/logward-webhook:0',
                args: ['webhook', '--default-size-limit=512Mi'],
              },
            ],
          },
        },
      },
    },
  });
  await cp.kubeConfig.makeApiClient(AppsV1Api).createNamespacedDeployment({
    namespace: 'shop',
    body: {
      metadata: { name: 'api' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'api' } },
        template: {
          metadata: { labels: { app: 'api' } },
          spec: { containers: [{ name: 'app', image: 'registry.example.com/api:1' }] },
        },
      },
    },
  });
  await until('the pod of api', async () => {
    const list = await core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app=api' });
    return list.items[0];
  });
}, 1_800_000);

afterAll(async () => {
  if (sidecar && sidecar.exitCode === null) {
    sidecar.kill('SIGTERM');
    await once(sidecar, 'exit');
  }
  if (logDir) rmSync(logDir, { recursive: true, force: true });
  await cp?.stop();
});

describe('logward status', () => {
  it("reads a live sidecar's usage, budget, limit and last rotation through the API server's pod proxy", async () => {
    const { code, stdout, stderr } = await status('-n', 'shop', '-o', 'json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const { pods, workloads } = JSON.parse(stdout);
    const web1 = pods.find((p: { name: string }) => p.name === 'web-1');
    expect(web1).toMatchObject({
      injected: true,
      optedInBy: 'namespace',
      phase: 'Running',
      limitBytes: 64 * 2 ** 20,
    });
    expect(web1.metricsError).toBeUndefined();
    expect(web1.usageBytes).toBeGreaterThan(0);
    expect(web1.budgetBytes).toBeCloseTo(0.8 * 64 * 2 ** 20, -3);
    expect(Date.now() - Date.parse(web1.lastRotation)).toBeLessThan(600_000);
    expect(pods.find((p: { name: string }) => p.name === 'web-2')).toMatchObject({
      injected: false,
      reason: 'created_without_webhook',
    });
    expect(workloads).toEqual([
      { namespace: 'shop', kind: 'Deployment', name: 'api', optedInBy: 'namespace', pods: 1, injected: 0 },
    ]);
  });

  it("judges a pod left alone with the cluster defaults of the webhook's Deployment", async () => {
    const { pods } = JSON.parse((await status('-n', 'shop', '-o', 'json')).stdout);
    const web3 = pods.find((p: { name: string }) => p.name === 'web-3');
    expect(web3).toMatchObject({ injected: false, reason: 'invalid_settings' });
    expect(web3.why).toContain('logward.io/max-total-size: "900Mi" is above logward.io/size-limit: "512Mi"');
    // Told that its Deployment is elsewhere, it has no cluster defaults: the pod's own settings fit.
    const elsewhere = await status('-n', 'shop', '-o', 'json', '--webhook-namespace', 'other');
    expect(JSON.parse(elsewhere.stdout).pods.find((p: { name: string }) => p.name === 'web-3')).toMatchObject(
      {
        reason: 'created_without_webhook',
      },
    );
  });

  it('prints a table as kubectl does, with a NAMESPACE column for -A', async () => {
    const { code, stdout } = await status('-n', 'shop');
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^WORKLOAD\s+OPTED IN BY\s+INJECTED$/);
    expect(lines).toContainEqual(expect.stringMatching(/^deployment\/api\s+namespace\s+0\/1$/));
    expect(lines).toContainEqual(
      expect.stringMatching(/^web-1\s+yes\s+\S+ \(\d+%\)\s+51\.2Mi\s+64Mi \(\d+%\)\s+\d+[sm] ago\s+<none>$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^web-2\s+no\s+-\s+-\s+-\s+-\s+created_without_webhook$/),
    );
    const all = await status('-A');
    expect(all.stdout.split('\n')[0]).toMatch(/^NAMESPACE\s+WORKLOAD/);
    expect(all.stdout).toMatch(/^shop\s+web-1\s+yes/m);
  });

  it('uses the context named by --context, and names one that does not exist', async () => {
    const context = cp.kubeConfig.getCurrentContext();
    expect((await status('--context', context, '-n', 'shop')).stdout).toMatch(/^web-1\s+yes/m);
    const missing = await status('--context', 'nowhere', '-n', 'shop');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('nowhere');
  });
});

describe('logward status as a ServiceAccount granted the shipped ClusterRole logward-status', () => {
  const rbac = () => cp.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
  const roleRef = { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'logward-status' };
  const subject = (name: string) => [{ kind: 'ServiceAccount', name, namespace: 'tools' }];
  /** kubeconfigs with a token of each ServiceAccount, by its name. */
  const as: Record<string, string> = {};

  /** A ServiceAccount in `tools` and a kubeconfig holding a token the API server minted for it. */
  async function serviceAccount(name: string): Promise<string> {
    await core.createNamespacedServiceAccount({ namespace: 'tools', body: { metadata: { name } } });
    const answer = await core.createNamespacedServiceAccountToken({
      name,
      namespace: 'tools',
      body: { spec: { expirationSeconds: 3600 } },
    });
    const path = join(logDir, `${name}.kubeconfig`);
    const caData = cp.kubeConfig.getCurrentCluster()!.caData!;
    writeFileSync(
      path,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'e2e', cluster: { server: cp.server, 'certificate-authority-data': caData } }],
        users: [{ name, user: { token: answer.status!.token } }],
        contexts: [{ name, context: { cluster: 'e2e', user: name, namespace: 'shop' } }],
        'current-context': name,
      }),
    );
    return path;
  }

  beforeAll(async () => {
    // The role exactly as users install it, from the rendered manifest.
    await KubernetesObjectApi.makeApiClient(cp.kubeConfig).create(
      readManifests(INSTALL).find((m) => m.kind === 'ClusterRole' && m.metadata.name === 'logward-status')!,
    );
    for (const name of ['tools', 'billing']) await core.createNamespace({ body: { metadata: { name } } });
    // As the README says: a RoleBinding in each namespace shown and one in the webhook's.
    as.reader = await serviceAccount('reader');
    for (const namespace of ['shop', 'logward-system']) {
      await rbac().createNamespacedRoleBinding({
        namespace,
        body: { metadata: { name: 'logward-status' }, roleRef, subjects: subject('reader') },
      });
    }
    // Bound in the namespace shown, not in the webhook's.
    as.partial = await serviceAccount('partial');
    await rbac().createNamespacedRoleBinding({
      namespace: 'shop',
      body: { metadata: { name: 'logward-status-partial' }, roleRef, subjects: subject('partial') },
    });
    // The built-in view role, bound where reader's are: everything but the pod proxy.
    as.viewer = await serviceAccount('viewer');
    for (const namespace of ['shop', 'logward-system']) {
      await rbac().createNamespacedRoleBinding({
        namespace,
        body: {
          metadata: { name: 'view-viewer' },
          roleRef: { ...roleRef, name: 'view' },
          subjects: subject('viewer'),
        },
      });
    }
    // For -A: a ClusterRoleBinding.
    as.auditor = await serviceAccount('auditor');
    await rbac().createClusterRoleBinding({
      body: { metadata: { name: 'logward-status' }, roleRef, subjects: subject('auditor') },
    });
  }, 120_000);

  it("reads the namespace bound by RoleBindings, the sidecar's usage through the pod proxy included, and reports nothing unreadable", async () => {
    const { code, stdout, stderr } = await statusAs(as.reader!, '-n', 'shop', '-o', 'json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const { pods, workloads } = JSON.parse(stdout);
    const web1 = pods.find((p: { name: string }) => p.name === 'web-1');
    expect(web1.metricsError).toBeUndefined();
    expect(web1.usageBytes).toBeGreaterThan(0);
    expect(web1.limitBytes).toBe(64 * 2 ** 20);
    // The Namespace's opt-in (get namespaces) and the workload (list deployments, replicasets).
    expect(web1.optedInBy).toBe('namespace');
    expect(workloads).toEqual([
      { namespace: 'shop', kind: 'Deployment', name: 'api', optedInBy: 'namespace', pods: 1, injected: 0 },
    ]);
    // The webhook's Deployment (get deployments/logward-webhook): its 512Mi default judged web-3.
    expect(pods.find((p: { name: string }) => p.name === 'web-3')).toMatchObject({
      reason: 'invalid_settings',
    });
  });

  it('reads every namespace for -A when bound by a ClusterRoleBinding', async () => {
    const { code, stdout, stderr } = await statusAs(as.auditor!, '-A', '-o', 'json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const web1 = JSON.parse(stdout).pods.find((p: { name: string }) => p.name === 'web-1');
    expect(web1).toMatchObject({ namespace: 'shop', injected: true });
    expect(web1.usageBytes).toBeGreaterThan(0);
  });

  it('names what it may not read and the binding that grants it: a namespace not bound, -A without a ClusterRoleBinding', async () => {
    const billing = await statusAs(as.reader!, '-n', 'billing');
    expect(billing.code).toBe(1);
    expect(billing.stdout).toBe('');
    expect(billing.stderr).toContain('may not list pods in namespace billing');
    expect(billing.stderr).toContain(
      'kubectl -n billing create rolebinding logward-status --clusterrole=logward-status --serviceaccount=tools:reader',
    );
    const all = await statusAs(as.reader!, '-A');
    expect(all.code).toBe(1);
    expect(all.stderr).toContain('may not list pods in all namespaces');
    expect(all.stderr).toContain(
      'kubectl create clusterrolebinding logward-status --clusterrole=logward-status --serviceaccount=tools:reader',
    );
  });

  it("shows the namespace without the webhook's flags when not bound in the webhook's namespace, and says which binding is missing", async () => {
    const { code, stdout, stderr } = await statusAs(as.partial!, '-n', 'shop', '-o', 'json');
    expect(code).toBe(0);
    expect(
      JSON.parse(stdout).pods.find((p: { name: string }) => p.name === 'web-1').usageBytes,
    ).toBeGreaterThan(0);
    expect(stderr.trim().split('\n')).toEqual([
      expect.stringContaining("may not get the webhook's Deployment logward-system/logward-webhook"),
      expect.stringContaining(
        'kubectl -n logward-system create rolebinding logward-status --clusterrole=logward-status --serviceaccount=tools:partial',
      ),
    ]);
  });
  it("with the built-in view role instead, which leaves out pods/proxy, says the sidecars' metrics were refused and what grants them", async () => {
    const { code, stdout, stderr } = await statusAs(as.viewer!, '-n', 'shop', '-o', 'json');
    expect(code).toBe(0);
    const web1 = JSON.parse(stdout).pods.find((p: { name: string }) => p.name === 'web-1');
    expect(web1).toMatchObject({ injected: true, metricsError: 'may not get pods/proxy (403 Forbidden)' });
    expect(web1.usageBytes).toBeUndefined();
    expect(stderr.trim().split('\n')).toEqual([
      'may not get pods/proxy in namespace shop (403 Forbidden); the sidecar metrics of 1 pod are not shown (usage, budget, last rotation)',
      'to grant what logward status reads, bind the ClusterRole logward-status: kubectl -n shop create rolebinding logward-status --clusterrole=logward-status --serviceaccount=tools:viewer',
    ]);
  });
});
