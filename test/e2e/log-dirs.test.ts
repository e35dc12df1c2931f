// Several log directories through the real API server: a two-directory pod admitted with a
// volume, mounts and a `--dir` per directory; the mistakes refused when applied, naming the keys.
import { AppsV1Api, CoreV1Api, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS } from '../../contract/keys.ts';
import { type ControlPlane, startControlPlane } from './controlplane.ts';
import {
  INSTALL,
  type InstalledWebhook,
  installWebhook,
  refusal,
  sidecarsOf,
  until,
} from './installed-webhook.ts';

let cp: ControlPlane;
let core: CoreV1Api;
let apps: AppsV1Api;
let webhook: InstalledWebhook;

beforeAll(async () => {
  cp = await startControlPlane();
  core = cp.kubeConfig.makeApiClient(CoreV1Api);
  apps = cp.kubeConfig.makeApiClient(AppsV1Api);
  webhook = await installWebhook(cp, INSTALL);
  await core.createNamespace({ body: { metadata: { name: 'shop' } } });
}, 1_800_000);

afterAll(async () => {
  await webhook?.process.stop();
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
    const sidecars = sidecarsOf(pod);
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
