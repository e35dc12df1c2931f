import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  AdmissionregistrationV1Api,
  AppsV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  type V1Deployment,
  type V1Pod,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS } from '../../contract/keys.ts';
import {
  buildTool,
  CHART,
  DEPLOY,
  type Manifest,
  parseManifests,
  readManifests,
  runOk,
} from '../deploy/tools.ts';
import { freePort } from '../support/ports.ts';
import { startWebhook, type WebhookProcess } from '../support/webhook-process.ts';
import { type ControlPlane, startControlPlane } from './controlplane.ts';

const INSTALL = fileURLToPath(new URL('../../deploy/install.yaml', import.meta.url));
const manifests = readManifests(INSTALL);

let cp: ControlPlane;
let objects: KubernetesObjectApi;
let core: CoreV1Api;
let apps: AppsV1Api;
let webhook: WebhookProcess;
let webhookArgs: string[];

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

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function namespace(name: string, labels: Record<string, string> = {}) {
  await core.createNamespace({ body: { metadata: { name, labels } } });
}

function deployment(
  name: string,
  opts: { annotations?: Record<string, string>; templateAnnotations?: Record<string, string> },
): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, annotations: opts.annotations },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations: opts.templateAnnotations },
        spec: { containers: [{ name: 'app', image: 'registry.example.com/going:1' }] },
      },
    },
  };
}

/** The Status message the API server answered a refused request with. */
async function statusMessage(request: Promise<unknown>): Promise<string> {
  const error = await request.then(
    () => {
      throw new Error('expected the request to be refused');
    },
    (e: { code?: number; body?: string }) => e,
  );
  expect(error.code).toBe(403);
  return JSON.parse(String(error.body)).message;
}

async function podsOf(ns: string, app: string): Promise<V1Pod[] | undefined> {
  const list = await core.listNamespacedPod({ namespace: ns, labelSelector: `app=${app}` });
  return list.items.length > 0 ? list.items : undefined;
}

function sidecars(pod: V1Pod) {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].filter(
    (c) => c.name === 'logward-sidecar',
  );
}

beforeAll(async () => {
  cp = await startControlPlane();
  objects = KubernetesObjectApi.makeApiClient(cp.kubeConfig);
  core = cp.kubeConfig.makeApiClient(CoreV1Api);
  apps = cp.kubeConfig.makeApiClient(AppsV1Api);

  // The namespace, ServiceAccount and RBAC exactly as deploy/ installs them.
  for (const m of manifests.filter((m) =>
    ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(
      m.kind!,
    ),
  )) {
    await objects.create(m);
  }
  const port = await freePort();
  for (const config of localConfigurations(port)) await objects.create(config);

  // The webhook runs as its ServiceAccount, so only the RBAC above lets it work, and with no
  // certificate given: it must create its CA, keep it in the Secret and patch the caBundle.
  const identity = await cp.serviceAccountKubeConfig('logward-system', 'logward-webhook');
  webhookArgs = [
    `--port=${port}`,
    '--metrics-port=0',
    `--kubeconfig=${identity.kubeconfigPath}`,
    '--tls-secret=logward-webhook-tls',
    '--tls-extra-hosts=127.0.0.1',
    '--log-level=debug',
  ];
  webhook = await startWebhook(webhookArgs, { POD_NAMESPACE: 'logward-system', KUBECONFIG: '' });
  await namespace('shop');
}, 1_800_000);

afterAll(async () => {
  await webhook?.stop();
  await cp?.stop();
});

describe('the manifests in deploy/', () => {
  // cert-manager's kinds exist only where cert-manager is installed; everything else must pass.
  const CERT_MANAGER = 'cert-manager.io/v1';

  async function dryRunApply(source: string, documents: Manifest[]) {
    const refused: string[] = [];
    for (const original of documents) {
      if (original.apiVersion === CERT_MANAGER) continue;
      // This cluster's own configurations point at the local process by URL; a dry run of ours
      // under another name checks them as a fresh install, not as a merge into those.
      const object = original.kind?.endsWith('WebhookConfiguration')
        ? { ...original, metadata: { ...original.metadata, name: `${original.metadata?.name}-dry-run` } }
        : original;
      // Server-side apply in dry-run: the API server validates against its schemas and
      // admission chain (ours included) and stores nothing.
      await objects
        .patch(object, undefined, 'All', 'logward-e2e', true, PatchStrategy.ServerSideApply)
        .catch((error: { body?: string }) =>
          refused.push(`${source}: ${object.kind} ${object.metadata?.name}: ${error.body}`),
        );
    }
    expect(refused).toEqual([]);
    return documents.filter((o) => o.apiVersion === CERT_MANAGER).map((o) => o.kind);
  }

  it('install.yaml and the examples pass a server-side dry run', async () => {
    expect(await dryRunApply('install.yaml', manifests)).toEqual([]);
    for (const example of ['going.yaml', 'workload-opt-in.yaml']) {
      const documents = parseManifests(readFileSync(`${DEPLOY}/examples/${example}`, 'utf8')).map((d) => ({
        ...d,
        metadata: { ...d.metadata, namespace: 'shop' },
      }));
      expect(await dryRunApply(example, documents)).toEqual([]);
    }
  });

  it('the cert-manager overlay and the Helm chart render to manifests the API server accepts', async () => {
    const [helm, kustomize] = await Promise.all([buildTool('helm'), buildTool('kustomize')]);
    const overlay = parseManifests(await runOk(kustomize, ['build', `${DEPLOY}/overlays/cert-manager`]));
    expect((await dryRunApply('cert-manager overlay', overlay)).sort()).toEqual([
      'Certificate',
      'Certificate',
      'Issuer',
      'Issuer',
    ]);
    const chart = parseManifests(
      await runOk(helm, ['template', 'logward', CHART, '--namespace', 'logward-system']),
    );
    expect(await dryRunApply('helm template', chart)).toEqual([]);
    const certManagerChart = parseManifests(
      await runOk(helm, [
        'template',
        'logward',
        CHART,
        '--namespace',
        'logward-system',
        '--set',
        'certificate.mode=certManager',
      ]),
    );
    expect((await dryRunApply('helm template (certManager)', certManagerChart)).length).toBeGreaterThan(0);
  }, 1_500_000);
});

describe('against a real kube-apiserver', () => {
  it('bootstraps TLS: creates its Secret and puts its CA in both webhook configurations', async () => {
    const secret = await core.readNamespacedSecret({
      name: 'logward-webhook-tls',
      namespace: 'logward-system',
    });
    expect(secret.type).toBe('kubernetes.io/tls');
    const ca = secret.data?.['ca.crt'];
    expect(ca).toBeTruthy();
    const admission = cp.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
    const mutating = await admission.readMutatingWebhookConfiguration({ name: 'logward' });
    const validating = await admission.readValidatingWebhookConfiguration({ name: 'logward' });
    for (const hook of [...(mutating.webhooks ?? []), ...(validating.webhooks ?? [])]) {
      expect(
        Buffer.from(hook.clientConfig.caBundle ?? '', 'base64')
          .toString()
          .trim(),
      ).toBe(Buffer.from(ca!, 'base64').toString().trim());
    }
    expect(webhook.logs.some((l) => l.msg === 'webhook certificates ensured' && l.change === 'created')).toBe(
      true,
    );
  });

  it('injects a native sidecar and a size-limited emptyDir into pods of an opted-in pod template', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'shop',
      body: deployment('going', {
        templateAnnotations: { [KEYS.inject]: 'true', [KEYS.logDir]: '/log', [KEYS.sizeLimit]: '200Mi' },
      }),
    });
    const [pod] = await until('pods of going', () => podsOf('shop', 'going'));
    expect(pod!.metadata?.annotations?.[KEYS.status]).toBe('injected');
    expect(pod!.spec?.volumes).toContainEqual(
      expect.objectContaining({ name: 'logward-logs', emptyDir: { sizeLimit: '200Mi' } }),
    );
    expect(pod!.spec?.containers[0]?.volumeMounts).toContainEqual({
      name: 'logward-logs',
      mountPath: '/log',
    });
    const [sidecar] = pod!.spec?.initContainers ?? [];
    expect(sidecar).toMatchObject({ name: 'logward-sidecar', restartPolicy: 'Always' });
  });

  it('injects pods whose Deployment alone opts in, resolving the owner chain with its least-privilege RBAC', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'shop',
      body: deployment('by-owner', {
        annotations: { [KEYS.inject]: 'true', [KEYS.logDir]: '/var/log/app', [KEYS.maxAge]: '2d' },
      }),
    });
    const [pod] = await until('pods of by-owner', () => podsOf('shop', 'by-owner'));
    expect(pod!.spec?.containers[0]?.volumeMounts).toContainEqual({
      name: 'logward-logs',
      mountPath: '/var/log/app',
    });
    expect(sidecars(pod!)[0]?.args).toContain('--max-age=2d');
  });

  it('admits a restricted-compliant app with the sidecar into a namespace enforcing Pod Security restricted', async () => {
    await namespace('secure', {
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'latest',
    });
    const pod = await core.createNamespacedPod({
      namespace: 'secure',
      body: {
        metadata: { name: 'app', annotations: { [KEYS.inject]: 'true', [KEYS.logDir]: '/log' } },
        spec: {
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 1000,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'app',
              image: 'registry.example.com/going:1',
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
            },
          ],
        },
      },
    });
    expect(sidecars(pod)).toHaveLength(1);
    expect(sidecars(pod)[0]?.securityContext?.runAsUser).toBe(1000);
  });

  it('refuses an invalid annotation when a Deployment is applied, naming the key', async () => {
    const apply = apps.createNamespacedDeployment({
      namespace: 'shop',
      body: deployment('typo', {
        annotations: { [KEYS.inject]: 'true', [KEYS.logDir]: '/log', [KEYS.maxAge]: '7days' },
      }),
    });
    expect(await statusMessage(apply)).toBe(
      'admission webhook "workloads.logward.io" denied the request: Deployment shop/typo: logward.io/max-age: "7days" is not a duration; use e.g. 12h or 7d',
    );
  });

  it('refuses a bare Pod with an invalid annotation, naming the key', async () => {
    const create = core.createNamespacedPod({
      namespace: 'shop',
      body: {
        metadata: { name: 'typo', annotations: { [KEYS.inject]: 'true', [KEYS.logDir]: 'log' } },
        spec: { containers: [{ name: 'app', image: 'registry.example.com/going:1' }] },
      },
    });
    expect(await statusMessage(create)).toBe(
      'admission webhook "pods.logward.io" denied the request: Pod shop/typo: logward.io/log-dir: "log" is not an absolute path; use the directory the app logs into, e.g. /log or /var/log/app',
    );
  });

  it('injects on a dryRun=All create without side effects', async () => {
    const pod = await core.createNamespacedPod({
      namespace: 'shop',
      dryRun: 'All',
      body: {
        metadata: { name: 'dry', annotations: { [KEYS.inject]: 'true', [KEYS.logDir]: '/log' } },
        spec: { containers: [{ name: 'app', image: 'registry.example.com/going:1' }] },
      },
    });
    expect(sidecars(pod)).toHaveLength(1);
    await expect(core.readNamespacedPod({ namespace: 'shop', name: 'dry' })).rejects.toMatchObject({
      code: 404,
    });
  });

  it('injects once when another mutating webhook changes the pod after us and we are reinvoked', async () => {
    const other = await otherWebhook();
    try {
      const pod = await core.createNamespacedPod({
        namespace: 'shop',
        body: {
          metadata: { name: 'reinvoked', annotations: { [KEYS.inject]: 'true', [KEYS.logDir]: '/log' } },
          spec: { containers: [{ name: 'app', image: 'registry.example.com/going:1' }] },
        },
      });
      expect(pod.metadata?.labels?.['mesh.example.com/injected']).toBe('true');
      expect(pod.spec?.containers.map((c) => c.name)).toEqual(['app', 'mesh-proxy']);
      expect(sidecars(pod)).toHaveLength(1);
      expect(pod.spec?.volumes?.filter((v) => v.name.startsWith('logward-logs'))).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('with the webhook down: excluded namespaces are untouched and opted-in pods are admitted without the sidecar (failurePolicy Ignore)', async () => {
    expect(await webhook.stop()).toBe(0);
    try {
      const system = await core.createNamespacedPod({
        namespace: 'kube-system',
        body: {
          metadata: { name: 'system' },
          spec: { containers: [{ name: 'app', image: 'registry.example.com/x:1' }] },
        },
      });
      expect(system.metadata?.name).toBe('system');
      const pod = await core.createNamespacedPod({
        namespace: 'shop',
        body: {
          metadata: { name: 'while-down', annotations: { [KEYS.inject]: 'true', [KEYS.logDir]: '/log' } },
          spec: { containers: [{ name: 'app', image: 'registry.example.com/going:1' }] },
        },
      });
      expect(sidecars(pod)).toHaveLength(0);
    } finally {
      webhook = await startWebhook(webhookArgs, { POD_NAMESPACE: 'logward-system', KUBECONFIG: '' });
    }
    // Back up, it reuses the certificates in its Secret rather than making new ones.
    expect(webhook.logs.some((l) => l.change === 'created')).toBe(false);
  });
});

/**
 * A second mutating webhook, like a service mesh's: adds a container and a label to every pod
 * in `shop`, which makes the API server reinvoke ours (reinvocationPolicy IfNeeded).
 */
async function otherWebhook(): Promise<{ close(): Promise<void> }> {
  const cert = await cp.issueServingCert(['127.0.0.1']);
  const server: Server = createServer(
    { cert: readFileSync(cert.certPath), key: readFileSync(cert.keyPath) },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const review = JSON.parse(Buffer.concat(chunks).toString());
        const pod = review.request.object as V1Pod;
        const patch = pod.spec?.containers.some((c) => c.name === 'mesh-proxy')
          ? []
          : [
              {
                op: 'add',
                path: '/spec/containers/-',
                value: { name: 'mesh-proxy', image: 'registry.example.com/proxy:1' },
              },
              {
                op: 'add',
                path: pod.metadata?.labels
                  ? '/metadata/labels/mesh.example.com~1injected'
                  : '/metadata/labels',
                value: pod.metadata?.labels ? 'true' : { 'mesh.example.com/injected': 'true' },
              },
            ];
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            apiVersion: 'admission.k8s.io/v1',
            kind: 'AdmissionReview',
            response: {
              uid: review.request.uid,
              allowed: true,
              ...(patch.length > 0
                ? { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') }
                : {}),
            },
          }),
        );
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const admission = cp.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  await admission.createMutatingWebhookConfiguration({
    body: {
      metadata: { name: 'zz-mesh' },
      webhooks: [
        {
          name: 'mesh.example.com',
          admissionReviewVersions: ['v1'],
          sideEffects: 'None',
          failurePolicy: 'Fail',
          reinvocationPolicy: 'IfNeeded',
          clientConfig: { url: `https://127.0.0.1:${port}/`, caBundle: cert.caBundle },
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } },
          rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }],
        },
      ],
    },
  });
  return {
    async close() {
      await admission.deleteMutatingWebhookConfiguration({ name: 'zz-mesh' });
      server.close();
    },
  };
}
