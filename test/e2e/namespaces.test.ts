import { AppsV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENABLED_LABEL, KEYS } from '../../contract/keys.ts';
import { type ControlPlane, startControlPlane } from './controlplane.ts';
import {
  counter,
  deployment,
  INSTALL,
  INSTALL_NAMESPACES,
  type InstalledWebhook,
  installWebhook,
  refusal,
  sidecarsOf,
  until,
} from './installed-webhook.ts';

// Namespaces as the webhook reads them, against a real kube-apiserver: their annotations as
// defaults of their pods (pod > workload > namespace > cluster flag > built-in), their opt-in,
// their check when applied, and the scope `namespaces` that keeps other namespaces' pods away
// from the webhook altogether.

let cp: ControlPlane;
let core: CoreV1Api;
let apps: AppsV1Api;
let webhook: InstalledWebhook;

const enabled = { [ENABLED_LABEL.key]: ENABLED_LABEL.value };
const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

beforeAll(async () => {
  cp = await startControlPlane();
  core = cp.kubeConfig.makeApiClient(CoreV1Api);
  apps = cp.kubeConfig.makeApiClient(AppsV1Api);
  // Cluster defaults under every namespace's: max-files for all, a max-age namespaces override.
  webhook = await installWebhook(cp, INSTALL, ['--default-max-files=4', '--default-max-age=9d']);
}, 1_800_000);

afterAll(async () => {
  await webhook?.process.stop();
  await cp?.stop();
});

async function namespace(
  name: string,
  annotations: Record<string, string>,
  labels: Record<string, string> = {},
) {
  await core.createNamespace({ body: { metadata: { name, annotations, labels } } });
}

function barePod(name: string, annotations: Record<string, string> = {}): V1Pod {
  return {
    metadata: { name, annotations },
    spec: { containers: [{ name: 'app', image: 'registry.example.com/going:1' }] },
  };
}

async function podOf(ns: string, app: string): Promise<V1Pod> {
  return await until(`a pod of ${ns}/${app}`, async () => {
    const list = await core.listNamespacedPod({ namespace: ns, labelSelector: `app=${app}` });
    return list.items[0];
  });
}

const sidecarOf = (pod: V1Pod) => sidecarsOf(pod)[0];
const logVolumeOf = (pod: V1Pod) => pod.spec?.volumes?.find((v) => v.name === 'logward-logs');

describe('namespace annotations as defaults (scope cluster)', () => {
  const shopDefaults = {
    [KEYS.inject]: 'true',
    [KEYS.logDir]: '/var/log/app',
    [KEYS.sizeLimit]: '300Mi',
    [KEYS.maxAge]: '2d',
  };

  beforeAll(async () => {
    await namespace('defaults', shopDefaults);
  });

  it("gives a workload the namespace's settings where it sets none, over the cluster's flags", async () => {
    await apps.createNamespacedDeployment({ namespace: 'defaults', body: deployment('plain') });
    const pod = await podOf('defaults', 'plain');
    expect(logVolumeOf(pod)?.emptyDir?.sizeLimit).toBe('300Mi');
    expect(pod.spec?.containers[0]?.volumeMounts).toContainEqual({
      name: 'logward-logs',
      mountPath: '/var/log/app',
    });
    // max-age: the namespace's over the cluster's 9d; max-files: the cluster's, nobody else sets it.
    expect(sidecarOf(pod)?.args).toEqual(expect.arrayContaining(['--max-age=2d', '--max-files=4']));
  });

  it('follows the order pod > workload > namespace > cluster flag, key by key', async () => {
    await apps.createNamespacedDeployment({
      namespace: 'defaults',
      body: deployment('own', {
        annotations: { [KEYS.maxAge]: '5d', [KEYS.sizeLimit]: '200Mi' },
        templateAnnotations: { [KEYS.sizeLimit]: '100Mi' },
      }),
    });
    const pod = await podOf('defaults', 'own');
    expect(logVolumeOf(pod)?.emptyDir?.sizeLimit).toBe('100Mi'); // the pod template's
    const args = sidecarOf(pod)?.args ?? [];
    expect(args).toEqual(expect.arrayContaining(['--max-age=5d', '--max-files=4'])); // workload's, cluster's
    expect(pod.spec?.containers[0]?.volumeMounts).toContainEqual({
      name: 'logward-logs',
      mountPath: '/var/log/app',
    }); // namespace's
    // Where no layer sets a key, no flag: the sidecar's built-in default applies.
    expect(args.filter((arg) => arg.startsWith('--max-total-size='))).toEqual([]);
  });

  it("lets a workload opt out of its namespace's opt-in", async () => {
    await apps.createNamespacedDeployment({
      namespace: 'defaults',
      body: deployment('out', { annotations: { [KEYS.inject]: 'false' } }),
    });
    const pod = await podOf('defaults', 'out');
    expect(sidecarOf(pod)).toBeUndefined();
    expect(logVolumeOf(pod)).toBeUndefined();
  });

  it('follows a Namespace whose annotations change, through its watch', async () => {
    await core.patchNamespace(
      {
        name: 'defaults',
        body: [{ op: 'replace', path: '/metadata/annotations/logward.io~1size-limit', value: '500Mi' }],
      },
      jsonPatch,
    );
    // A pod that reaches the webhook by its own opt-in; its size limit is its namespace's.
    const limit = await until('the new size limit', async () => {
      const name = `follow-${Date.now()}`;
      const pod = await core.createNamespacedPod({
        namespace: 'defaults',
        body: barePod(name, { [KEYS.inject]: 'true' }),
      });
      const value = logVolumeOf(pod)?.emptyDir?.sizeLimit;
      return value === '500Mi' ? value : undefined;
    });
    expect(limit).toBe('500Mi');
  });

  it('opts in every pod of a labelled Namespace, a bare pod too; a pod can still opt out', async () => {
    await namespace('opted', { [KEYS.inject]: 'true', [KEYS.logDir]: '/log' }, enabled);
    const bare = await core.createNamespacedPod({ namespace: 'opted', body: barePod('bare') });
    expect(sidecarOf(bare)).toBeDefined();
    expect(bare.metadata?.annotations?.[KEYS.status]).toBe('injected');
    const out = await core.createNamespacedPod({
      namespace: 'opted',
      body: barePod('out', { [KEYS.inject]: 'false' }),
    });
    expect(sidecarOf(out)).toBeUndefined();
  });

  it('opts in the pods with a controller of an unlabelled Namespace; its bare pods never reach the webhook', async () => {
    await namespace('unlabelled', { [KEYS.inject]: 'true', [KEYS.logDir]: '/log' });
    await apps.createNamespacedDeployment({ namespace: 'unlabelled', body: deployment('web') });
    expect(sidecarOf(await podOf('unlabelled', 'web'))).toBeDefined();
    const bare = await core.createNamespacedPod({ namespace: 'unlabelled', body: barePod('bare') });
    expect(sidecarOf(bare)).toBeUndefined();
  });

  it('refuses an invalid annotation when a Namespace is applied, naming the key, on create and update', async () => {
    expect(
      await refusal(
        core.createNamespace({
          body: { metadata: { name: 'typo', annotations: { [KEYS.maxAge]: '2 days' } } },
        }),
      ),
    ).toBe(
      'admission webhook "namespaces.logward.io" denied the request: Namespace typo: logward.io/max-age: "2 days" is not a duration; use e.g. 12h or 7d',
    );
    expect(
      await refusal(
        core.patchNamespace(
          {
            name: 'defaults',
            body: [{ op: 'replace', path: '/metadata/annotations/logward.io~1size-limit', value: 'big' }],
          },
          jsonPatch,
        ),
      ),
    ).toMatch(
      /^admission webhook "namespaces.logward.io" denied the request: Namespace defaults: logward.io\/size-limit: "big" is not a positive Kubernetes quantity/,
    );
  });

  it("never blocks a pod over its namespace's invalid annotation: it is admitted as if Logward were absent", async () => {
    // Applied while the webhook configurations were away, as happens across an upgrade.
    await webhook.configure(undefined);
    await namespace(
      'broken',
      { [KEYS.inject]: 'true', [KEYS.logDir]: '/log', [KEYS.maxAge]: 'forever' },
      enabled,
    );
    await webhook.configure(INSTALL);
    const pod = await until('the webhook to review pods of broken', async () => {
      const created = await core.createNamespacedPod({
        namespace: 'broken',
        body: barePod(`p-${Date.now()}`),
      });
      // Until the reconfigured webhook answers, pods pass unreviewed: wait for a reviewed one.
      const reviewed = await counter(
        webhook.process,
        'logward_webhook_tolerated_total',
        'reason="namespace_default"',
      );
      return reviewed > 0 ? created : undefined;
    });
    expect(pod.metadata?.uid).toBeTruthy();
    expect(sidecarOf(pod)).toBeUndefined();
  });
});

describe('the scope namespaces', () => {
  const mutateReviews = () => counter(webhook.process, 'logward_webhook_reviews_total', 'route="mutate"');

  /** Reviews counted while `act` runs and its pod appears: the webhook answers before the pod exists. */
  async function reviewsFor(act: () => Promise<V1Pod>): Promise<{ reviews: number; pod: V1Pod }> {
    const before = await mutateReviews();
    const pod = await act();
    return { reviews: (await mutateReviews()) - before, pod };
  }

  beforeAll(async () => {
    await namespace('elsewhere', {});
  });

  it('leaves the pods of unlabelled namespaces unseen by the webhook, where the cluster scope sees them', async () => {
    // Cluster scope: a pod with a controller is reviewed wherever it is (its workload may opt in).
    const cluster = await reviewsFor(async () => {
      await apps.createNamespacedDeployment({ namespace: 'elsewhere', body: deployment('seen') });
      return await podOf('elsewhere', 'seen');
    });
    expect(cluster.reviews).toBe(1);

    await webhook.configure(INSTALL_NAMESPACES);
    // Wait until the new configuration answers for a labelled namespace.
    await until('the namespaced configuration to call the webhook', async () => {
      const pod = await core.createNamespacedPod({
        namespace: 'opted',
        body: barePod(`probe-${Date.now()}`),
      });
      return sidecarOf(pod) ? pod : undefined;
    });

    const unseen = await reviewsFor(async () => {
      await apps.createNamespacedDeployment({
        namespace: 'elsewhere',
        body: deployment('unseen', { templateAnnotations: { [KEYS.inject]: 'true', [KEYS.logDir]: '/log' } }),
      });
      await core.createNamespacedPod({
        namespace: 'elsewhere',
        body: barePod('unseen-bare', { [KEYS.inject]: 'true', [KEYS.logDir]: '/log' }),
      });
      return await podOf('elsewhere', 'unseen');
    });
    expect(unseen.reviews).toBe(0);
    expect(sidecarOf(unseen.pod)).toBeUndefined();

    const seen = await reviewsFor(() =>
      core.createNamespacedPod({ namespace: 'opted', body: barePod('seen') }),
    );
    expect(seen.reviews).toBe(1);
    expect(sidecarOf(seen.pod)).toBeDefined();
  });
});
