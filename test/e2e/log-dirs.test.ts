// Several log directories through the real API server: a two-directory pod admitted with a
// volume, mounts and a `--dir` per directory; the mistakes refused when applied, naming the keys.
import { fileURLToPath } from 'node:url';
import {
  AppsV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  type V1Deployment,
  type V1Pod,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS } from '../../contract/keys.ts';
import { type Manifest, readManifests } from '../deploy/tools.ts';
import { freePort } from '../support/ports.ts';
import { startWebhook, type WebhookProcess } from '../support/webhook-process.ts';
import { type ControlPlane, startControlPlane } from './controlplane.ts';

const INSTALL = fileURLToPath(new URL('../../deploy/install.yaml', import.meta.url));
const manifests = readManifests(INSTALL);

let cp: ControlPlane;
let core: CoreV1Api;
let apps: AppsV1Api;
let webhook: WebhookProcess;

/** Our webhook configurations from deploy/, pointed at the local process by URL instead of the Service. */
function localConfigurations(port: number): Manifest[] {
  return manifests
    .filter((m) => m.kind === 'MutatingWebhookConfiguration' || m.kind === 'ValidatingWebhookConfiguration')
    .map((config) => ({
      ...config,
      webhooks: config.webhooks.map((hook: { clientConfig: { service: { path: string } } }) => ({
        ...hook,
        clientConfig: { url: `https://127.0.0.1:${port}${hook.clientConfig.service.path}` },
      })),
    }));
}

beforeAll(async () => {
  cp = await startControlPlane();
  const objects = KubernetesObjectApi.makeApiClient(cp.kubeConfig);
  core = cp.kubeConfig.makeApiClient(CoreV1Api);
  apps = cp.kubeConfig.makeApiClient(AppsV1Api);
  const installed = [
    'Namespace',
    'ServiceAccount',
    'ClusterRole',
    'ClusterRoleBinding',
    'Role',
    'RoleBinding',
  ];
  for (const m of manifests.filter((m) => installed.includes(m.kind!))) await objects.create(m);
  const port = await freePort();
  for (const config of localConfigurations(port)) await objects.create(config);
  const identity = await cp.serviceAccountKubeConfig('logward-system', 'logward-webhook');
  webhook = await startWebhook(
    [
      `--port=${port}`,
      '--metrics-port=0',
      `--kubeconfig=${identity.kubeconfigPath}`,
      '--tls-secret=logward-webhook-tls',
      '--tls-extra-hosts=127.0.0.1',
    ],
    { POD_NAMESPACE: 'logward-system', KUBECONFIG: '' },
  );
  await core.createNamespace({ body: { metadata: { name: 'shop' } } });
}, 1_800_000);

afterAll(async () => {
  await webhook?.stop();
  await cp?.stop();
});

function deployment(name: string, templateAnnotations: Record<string, string>): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations: templateAnnotations },
        spec: {
          containers: [
            { name: 'nginx', image: 'registry.example.com/nginx:1' },
            { name: 'jvm', image: 'registry.example.com/jvm:1' },
            { name: 'metrics', image: 'registry.example.com/exporter:1' },
          ],
        },
      },
    },
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The Status message the API server answered a refused request with. */
async function refusal(request: Promise<unknown>): Promise<string> {
  const error = await request.then(
    () => {
      throw new Error('expected the request to be refused');
    },
    (e: { code?: number; body?: string }) => e,
  );
  expect(error.code).toBe(403);
  return JSON.parse(String(error.body)).message;
}

describe('logward.io/log-dirs', () => {
  it('admits a two-directory pod with a size-limited emptyDir and mounts per directory, and one sidecar for both', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'shop',
      body: deployment('two-dirs', {
        [KEYS.inject]: 'true',
        [KEYS.containers]: 'nginx,jvm',
        [KEYS.logDirs]: '/var/log/nginx:containers=nginx, /app/gc:size-limit=256Mi;max-age=1d',
        [KEYS.sizeLimit]: '2Gi',
      }),
    });
    const pod = await until('a pod of two-dirs', async () => {
      const list = await core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app=two-dirs' });
      return list.items[0];
    });
    expect(pod.metadata?.annotations?.[KEYS.status]).toBe('injected');
    const volumes = pod.spec?.volumes ?? [];
    expect(volumes.find((v) => v.name === 'logward-logs')?.emptyDir?.sizeLimit).toBe('2Gi');
    expect(volumes.find((v) => v.name === 'logward-logs-2')?.emptyDir?.sizeLimit).toBe('256Mi');
    const mounts = (name: string) =>
      (pod.spec?.containers.find((c) => c.name === name)?.volumeMounts ?? [])
        .filter((m) => m.name.startsWith('logward-'))
        .map((m) => `${m.name}:${m.mountPath}`);
    expect(mounts('nginx')).toEqual(['logward-logs:/var/log/nginx', 'logward-logs-2:/app/gc']);
    expect(mounts('jvm')).toEqual(['logward-logs-2:/app/gc']);
    expect(mounts('metrics')).toEqual([]);
    const sidecars = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].filter(
      (c) => c.name === 'logward-sidecar',
    );
    expect(sidecars).toHaveLength(1);
    const sidecar = sidecars[0]!;
    expect(sidecar.args?.filter((arg) => arg.startsWith('--dir'))).toEqual([
      '--dir=/var/logward/logs-1:app-dir=/var/log/nginx;volume-size-limit=2Gi',
      '--dir=/var/logward/logs-2:app-dir=/app/gc;volume-size-limit=256Mi;size-limit=256Mi;max-age=1d',
    ]);
    expect(sidecar.args).toContain('--size-limit=2Gi');
    expect(sidecar.volumeMounts?.map((m) => `${m.name}:${m.mountPath}`).slice(0, 2)).toEqual([
      'logward-logs:/var/logward/logs-1',
      'logward-logs-2:/var/logward/logs-2',
    ]);
  });

  it('refuses a Deployment that sets both log-dir and log-dirs when applied, naming the two keys', async () => {
    const apply = apps.createNamespacedDeployment({
      namespace: 'shop',
      body: deployment('both', { [KEYS.inject]: 'true', [KEYS.logDir]: '/log', [KEYS.logDirs]: '/a,/b' }),
    });
    expect(await refusal(apply)).toBe(
      `admission webhook "workloads.logward.io" denied the request: Deployment shop/both: ${KEYS.logDir} and ${KEYS.logDirs} are both set; use ${KEYS.logDir} for one directory or ${KEYS.logDirs} for several, not both`,
    );
  });

  it('refuses a bare Pod whose directories nest, naming both', async () => {
    const pod: V1Pod = {
      metadata: { name: 'nested', annotations: { [KEYS.inject]: 'true', [KEYS.logDirs]: '/app,/app/logs' } },
      spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1' }] },
    };
    expect(await refusal(core.createNamespacedPod({ namespace: 'shop', body: pod }))).toBe(
      `admission webhook "pods.logward.io" denied the request: Pod shop/nested: ${KEYS.logDirs}: "/app/logs" is inside "/app": one directory's budget would count the other's files; list directories that do not nest`,
    );
  });
});
