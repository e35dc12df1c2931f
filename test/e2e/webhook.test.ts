import { readFileSync } from 'node:fs';
import { createServer, request as httpsRequest, type RequestOptions, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  AdmissionregistrationV1Api,
  AppsV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
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
import {
  deployment,
  INSTALL,
  installedWebhookArgs,
  installRbac,
  localConfigurations,
  refusal,
  sidecarsOf,
  until,
  WEBHOOK_ENV,
} from './installed-webhook.ts';

const manifests = readManifests(INSTALL);

let cp: ControlPlane;
let objects: KubernetesObjectApi;
let core: CoreV1Api;
let apps: AppsV1Api;
let webhook: WebhookProcess;
let webhookArgs: string[];
// The webhook runs with a test-only fault: reviewing a pod named `fault-injected` throws.
const webhookEnv = {
  ...WEBHOOK_ENV,
  NODE_OPTIONS: `--import=${fileURLToPath(new URL('./fault-injection.ts', import.meta.url))}`,
};

async function namespace(name: string, labels: Record<string, string> = {}) {
  await core.createNamespace({ body: { metadata: { name, labels } } });
}

/** POST to the API server as the admin, returning the status, the object and its Warning headers. */
async function createWithWarnings(
  path: string,
  body: object,
): Promise<{ status: number; object: V1Pod; warnings: string[] }> {
  const options: RequestOptions = {};
  await cp.kubeConfig.applyToHTTPSOptions(options);
  return await new Promise((resolve, reject) => {
    const req = httpsRequest(
      new URL(path, cp.server),
      { ...options, method: 'POST', headers: { 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const header = res.headers.warning;
          const warnings = (Array.isArray(header) ? header : header ? [header] : []).map((w) =>
            // `299 - "text"`: the text, unquoted.
            w.replace(/^299 - "(.*)"$/, '$1').replace(/\\"/g, '"'),
          );
          resolve({
            status: res.statusCode ?? 0,
            object: JSON.parse(Buffer.concat(chunks).toString()),
            warnings,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

async function metric(pattern: RegExp): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${webhook.opsPort}/metrics`)).text();
  return Number(pattern.exec(text)?.[1] ?? 0);
}

async function podsOf(ns: string, app: string): Promise<V1Pod[] | undefined> {
  const list = await core.listNamespacedPod({ namespace: ns, labelSelector: `app=${app}` });
  return list.items.length > 0 ? list.items : undefined;
}

beforeAll(async () => {
  cp = await startControlPlane();
  objects = KubernetesObjectApi.makeApiClient(cp.kubeConfig);
  core = cp.kubeConfig.makeApiClient(CoreV1Api);
  apps = cp.kubeConfig.makeApiClient(AppsV1Api);

  await installRbac(cp, INSTALL);
  const port = await freePort();
  for (const config of localConfigurations(INSTALL, port)) await objects.create(config);

  // The webhook runs as its ServiceAccount, so only the RBAC above lets it work, and with no
  // certificate given: it must create its CA, keep it in the Secret and patch the caBundle.
  const identity = await cp.serviceAccountKubeConfig('logward-system', 'logward-webhook');
  webhookArgs = [...installedWebhookArgs(port, identity.kubeconfigPath), '--log-level=debug'];
  webhook = await startWebhook(webhookArgs, webhookEnv);
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

  it('install.yaml, install-namespaces.yaml and the examples pass a server-side dry run', async () => {
    expect(await dryRunApply('install.yaml', manifests)).toEqual([]);
    expect(
      await dryRunApply('install-namespaces.yaml', readManifests(`${DEPLOY}/install-namespaces.yaml`)),
    ).toEqual([]);
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
    expect(sidecarsOf(pod!)[0]?.args).toContain('--max-age=2d');
  });

  it('stops injecting once the opt-in is taken off the Deployment, though its ReplicaSet keeps a copy', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'shop',
      body: deployment('opt-out-later', { annotations: { [KEYS.inject]: 'true', [KEYS.logDir]: '/log' } }),
    });
    const [first] = await until('pods of opt-out-later', () => podsOf('shop', 'opt-out-later'));
    expect(sidecarsOf(first!)).toHaveLength(1);
    await apps.patchNamespacedDeployment(
      {
        name: 'opt-out-later',
        namespace: 'shop',
        body: [{ op: 'remove', path: '/metadata/annotations/logward.io~1inject' }],
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    // The premise: the Deployment controller never removes what it copied onto the ReplicaSet.
    const [replicaSet] = (
      await apps.listNamespacedReplicaSet({ namespace: 'shop', labelSelector: 'app=opt-out-later' })
    ).items;
    expect(replicaSet?.metadata?.annotations?.[KEYS.inject]).toBe('true');
    await new Promise((resolve) => setTimeout(resolve, 500));
    await apps.patchNamespacedDeployment(
      { name: 'opt-out-later', namespace: 'shop', body: { spec: { replicas: 2 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const pods = await until('a second pod of opt-out-later', async () => {
      const found = await podsOf('shop', 'opt-out-later');
      return found && found.length === 2 ? found : undefined;
    });
    const second = pods.find((pod) => pod.metadata?.name !== first!.metadata?.name)!;
    expect(sidecarsOf(second)).toHaveLength(0);
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
    expect(sidecarsOf(pod)).toHaveLength(1);
    expect(sidecarsOf(pod)[0]?.securityContext?.runAsUser).toBe(1000);
  });

  it('refuses an invalid annotation when a Deployment is applied, naming the key', async () => {
    const apply = apps.createNamespacedDeployment({
      namespace: 'shop',
      body: deployment('typo', {
        annotations: { [KEYS.inject]: 'true', [KEYS.logDir]: '/log', [KEYS.maxAge]: '7days' },
      }),
    });
    expect(await refusal(apply)).toBe(
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
    expect(await refusal(create)).toBe(
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
    expect(sidecarsOf(pod)).toHaveLength(1);
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
      expect(sidecarsOf(pod)).toHaveLength(1);
      expect(pod.spec?.volumes?.filter((v) => v.name.startsWith('logward-logs'))).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('admits a pod unchanged when the webhook fails to review it, with the warning shown to the client', async () => {
    const { status, object, warnings } = await createWithWarnings('/api/v1/namespaces/shop/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'fault-injected', annotations: { [KEYS.inject]: 'true', [KEYS.logDir]: '/log' } },
      spec: { containers: [{ name: 'app', image: 'registry.example.com/going:1' }] },
    });
    expect(status).toBe(201);
    expect(sidecarsOf(object)).toHaveLength(0);
    expect(warnings).toEqual([
      'Logward failed to review this object: fault injected by the end-to-end suite; admitted unchanged, without the log volume and sidecar',
    ]);
    expect(await metric(/^logward_webhook_reviews_total\{route="mutate",outcome="errored"\} (\d+)$/m)).toBe(
      1,
    );
  });

  it('injects a pod whose logward.io/status holds another value, and tells the client', async () => {
    const { status, object, warnings } = await createWithWarnings('/api/v1/namespaces/shop/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'stray-status',
        annotations: { [KEYS.inject]: 'true', [KEYS.logDir]: '/log', [KEYS.status]: 'pending' },
      },
      spec: { containers: [{ name: 'app', image: 'registry.example.com/going:1' }] },
    });
    expect(status).toBe(201);
    expect(sidecarsOf(object)).toHaveLength(1);
    expect(object.metadata?.annotations?.[KEYS.status]).toBe('injected');
    expect(warnings).toContain('logward.io/status: "pending" is Logward\'s to write; it now says "injected"');
  });

  it('lets the Deployment controller scale a ReplicaSet whose annotations are invalid, its pods admitted without the sidecar', async () => {
    // Applied while the webhook was down, so nothing refused the typo.
    const invalid = { [KEYS.inject]: 'true', [KEYS.logDir]: '/log', [KEYS.maxAge]: '7days' };
    expect(await webhook.stop()).toBe(0);
    try {
      await apps.createNamespacedDeployment({
        namespace: 'shop',
        body: deployment('stale', { annotations: invalid, replicas: 1 }),
      });
      await until('the first pod of stale', () => podsOf('shop', 'stale'));
    } finally {
      webhook = await startWebhook(webhookArgs, webhookEnv);
    }
    // An update that leaves the annotations as they were: allowed, with a warning.
    await apps.patchNamespacedDeployment(
      { name: 'stale', namespace: 'shop', body: { spec: { replicas: 3 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    // The Deployment controller updates its ReplicaSet (which carries the invalid annotations it
    // copied), whose controller then creates the pods.
    const pods = await until('three pods of stale', async () => {
      const found = await podsOf('shop', 'stale');
      return found && found.length === 3 ? found : undefined;
    });
    for (const pod of pods) expect(sidecarsOf(pod)).toHaveLength(0);
    expect(
      await metric(/^logward_webhook_tolerated_total\{route="validate",reason="judged_at_owner"\} (\d+)$/m),
    ).toBeGreaterThan(0);
    expect(
      await metric(/^logward_webhook_tolerated_total\{route="mutate",reason="judged_at_owner"\} (\d+)$/m),
    ).toBeGreaterThanOrEqual(2);
  });

  it('injects classic sidecars while a node runs a kubelet older than 1.29, and native ones again once it is gone', async () => {
    const node = (name: string, kubeletVersion: string) => ({
      metadata: { name },
      status: {
        nodeInfo: {
          kubeletVersion,
          architecture: 'amd64',
          bootID: '',
          containerRuntimeVersion: 'containerd://2.0.0',
          kernelVersion: '6.1.0',
          kubeProxyVersion: kubeletVersion,
          machineID: '',
          operatingSystem: 'linux',
          osImage: 'Debian',
          systemUUID: '',
        },
      },
    });
    const create = async (name: string) =>
      await core.createNamespacedPod({
        namespace: 'shop',
        body: {
          metadata: { name, annotations: { [KEYS.inject]: 'true', [KEYS.logDir]: '/log' } },
          spec: { containers: [{ name: 'app', image: 'registry.example.com/going:1' }] },
        },
      });
    const modeOf = (pod: V1Pod) =>
      pod.spec?.initContainers?.some((c) => c.name === 'logward-sidecar') ? 'native' : 'classic';
    await core.createNode({ body: node('current-node', 'v1.33.4') });
    await core.createNode({ body: node('old-node', 'v1.28.9-eks-1a2b3c') });
    try {
      let attempt = 0;
      const classic = await until('a classic sidecar', async () => {
        const pod = await create(`while-old-${attempt++}`);
        return modeOf(pod) === 'classic' ? pod : undefined;
      });
      expect(classic.spec?.containers.map((c) => c.name)).toEqual(['app', 'logward-sidecar']);
      expect(webhook.logs.some((l) => l.msg === 'sidecar mode changed' && l.sidecarMode === 'classic')).toBe(
        true,
      );
    } finally {
      await core.deleteNode({ name: 'old-node' });
    }
    let attempt = 0;
    await until('a native sidecar again', async () => {
      const pod = await create(`after-old-${attempt++}`);
      return modeOf(pod) === 'native' ? pod : undefined;
    });
    await core.deleteNode({ name: 'current-node' });
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
      expect(sidecarsOf(pod)).toHaveLength(0);
    } finally {
      webhook = await startWebhook(webhookArgs, webhookEnv);
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
