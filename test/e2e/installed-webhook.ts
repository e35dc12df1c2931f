import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubernetesObjectApi, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import { expect } from 'vitest';
import { type Manifest, readManifests } from '../deploy/tools.ts';
import { freePort } from '../support/ports.ts';
import { startWebhook, type WebhookProcess } from '../support/webhook-process.ts';
import type { ControlPlane } from './controlplane.ts';

// `logward webhook` installed into a test control plane as deploy/ installs it: the RBAC of an
// install file, its webhook configurations pointed at a local process by URL, and the process
// running as the webhook's ServiceAccount, so only that RBAC lets it work.

export const INSTALL = fileURLToPath(new URL('../../deploy/install.yaml', import.meta.url));
export const INSTALL_NAMESPACES = fileURLToPath(
  new URL('../../deploy/install-namespaces.yaml', import.meta.url),
);

const RBAC_KINDS = [
  'Namespace',
  'ServiceAccount',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
];
const CONFIGURATION_KINDS = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'];

/** The webhook configurations of `install`, calling https://127.0.0.1:`port` instead of the Service. */
export function localConfigurations(install: string, port: number): Manifest[] {
  return readManifests(install)
    .filter((m) => CONFIGURATION_KINDS.includes(m.kind))
    .map((config) => ({
      ...config,
      webhooks: config.webhooks.map((hook: { clientConfig: { service: { path: string } } }) => ({
        ...hook,
        clientConfig: { url: `https://127.0.0.1:${port}${hook.clientConfig.service.path}` },
      })),
    }));
}

export interface InstalledWebhook {
  process: WebhookProcess;
  port: number;
  /** Replaces the webhook configurations by those of another install file (a scope). */
  configure(install: string | undefined): Promise<void>;
}

/** Creates the namespace, ServiceAccount and RBAC of `install` exactly as deploy/ installs them. */
export async function installRbac(cp: ControlPlane, install: string): Promise<void> {
  const objects = KubernetesObjectApi.makeApiClient(cp.kubeConfig);
  for (const m of readManifests(install).filter((m) => RBAC_KINDS.includes(m.kind))) await objects.create(m);
}

/** Installs the RBAC and the webhook configurations of `install` and starts the webhook. */
export async function installWebhook(
  cp: ControlPlane,
  install: string,
  extraArgs: string[] = [],
): Promise<InstalledWebhook> {
  const objects = KubernetesObjectApi.makeApiClient(cp.kubeConfig);
  await installRbac(cp, install);
  const port = await freePort();
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  // Once the webhook runs, its CA is in its Secret; it patches configurations only as it starts.
  const caBundle = async () =>
    (
      await core
        .readNamespacedSecret({ namespace: 'logward-system', name: 'logward-webhook-tls' })
        .catch(() => undefined)
    )?.data?.['ca.crt'];
  const configure = async (from: string | undefined) => {
    for (const kind of CONFIGURATION_KINDS) {
      await objects
        .delete({ apiVersion: 'admissionregistration.k8s.io/v1', kind, metadata: { name: 'logward' } })
        .catch((error: { code?: number }) => {
          if (error.code !== 404) throw error;
        });
    }
    if (from === undefined) return;
    const ca = await caBundle();
    for (const config of localConfigurations(from, port)) {
      for (const hook of config.webhooks) if (ca) hook.clientConfig.caBundle = ca;
      await objects.create(config);
    }
  };
  await configure(install);
  const identity = await cp.serviceAccountKubeConfig('logward-system', 'logward-webhook');
  const process = await startWebhook(
    [...installedWebhookArgs(port, identity.kubeconfigPath), ...extraArgs],
    WEBHOOK_ENV,
  );
  return { process, port, configure };
}

/** The environment of an installed webhook: in its namespace, with no admin kubeconfig to fall back on. */
export const WEBHOOK_ENV = { POD_NAMESPACE: 'logward-system', KUBECONFIG: '' };

/** The flags of an installed webhook serving on `port` as the identity in `kubeconfigPath`. */
export function installedWebhookArgs(port: number, kubeconfigPath: string): string[] {
  return [
    `--port=${port}`,
    '--metrics-port=0',
    `--kubeconfig=${kubeconfigPath}`,
    '--tls-secret=logward-webhook-tls',
    '--tls-extra-hosts=127.0.0.1',
    // Owners re-read at once, so a test can change one and see the next pod follow.
    '--owner-cache-ttl=100ms',
  ];
}

/** The sum of a webhook counter's samples whose labels include `labels` (`route="mutate"`). */
export async function counter(webhook: WebhookProcess, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${webhook.opsPort}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (labels && !line.includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Polls `probe` until it returns a value, or fails naming `what`. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The Status message the API server answered a refused request with. */
export async function refusal(request: Promise<unknown>): Promise<string> {
  const error = await request.then(
    () => {
      throw new Error('expected the request to be refused');
    },
    (e: { code?: number; body?: string }) => e,
  );
  expect(error.code).toBe(403);
  return JSON.parse(String(error.body)).message;
}

/** The Logward sidecars of an admitted pod, native (init) or classic. */
export function sidecarsOf(pod: V1Pod) {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].filter(
    (c) => c.name === 'logward-sidecar',
  );
}

/** A Deployment of one app container, labelled app=`name`, annotated on itself and its pod template. */
export function deployment(
  name: string,
  opts: {
    annotations?: Record<string, string>;
    templateAnnotations?: Record<string, string>;
    replicas?: number;
  } = {},
): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, annotations: opts.annotations },
    spec: {
      replicas: opts.replicas ?? 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name }, annotations: opts.templateAnnotations },
        spec: { containers: [{ name: 'app', image: 'registry.example.com/going:1' }] },
      },
    },
  };
}
