// `node bench/scope.ts`: what Logward costs the API server per pod creation for a pod that is
// NOT opted in, in each scope, against no webhook at all, measured in one run on one machine.
//
// A real kube-apiserver (the e2e harness, test/controlplane) and a real `logward webhook`
// installed from deploy/ as the e2e tests install it. The pods are created in a namespace that
// is neither labelled nor annotated, each with a controlling owner (a ReplicaSet that exists),
// as nearly every pod of a cluster has: the cluster-wide scope sends them to the webhook, which
// reads their owner chain and skips them; the scope `namespaces` never sends them. The three
// configurations take turns, round after round, so drift on this shared machine hits each alike.
//
//   node bench/scope.ts [--rounds 5] [--pods 40]
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { AppsV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { startControlPlane } from '../test/e2e/controlplane.ts';
import { counter, INSTALL, INSTALL_NAMESPACES, installWebhook } from '../test/e2e/installed-webhook.ts';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, pods: { type: 'string', default: '40' } },
});
const rounds = Number(values.rounds);
const podsPerTurn = Number(values.pods);
const log = (line: string) => process.stdout.write(`${line}\n`);

const SCOPES = { none: undefined, cluster: INSTALL, namespaces: INSTALL_NAMESPACES } as const;
type Scope = keyof typeof SCOPES;
const NAMESPACE = 'elsewhere';

const cp = await startControlPlane();
try {
  const core = cp.kubeConfig.makeApiClient(CoreV1Api);
  const apps = cp.kubeConfig.makeApiClient(AppsV1Api);
  const webhook = await installWebhook(cp, INSTALL);
  await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  // An owner that exists, so the cluster scope's owner lookup does its real work. Its selector
  // matches none of the pods: the ReplicaSet controller releases them rather than deleting them.
  const owner = await apps.createNamespacedReplicaSet({
    namespace: NAMESPACE,
    body: {
      metadata: { name: 'owner' },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'owner' } },
        template: {
          metadata: { labels: { app: 'owner' } },
          spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1' }] },
        },
      },
    },
  });
  let serial = 0;
  const pod = (): V1Pod => ({
    metadata: {
      name: `p-${serial++}`,
      labels: { bench: 'scope' },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'owner',
          uid: owner.metadata!.uid!,
          controller: true,
        },
      ],
    },
    spec: { containers: [{ name: 'app', image: 'registry.example.com/app:1' }] },
  });
  const reviews = () => counter(webhook.process, 'logward_webhook_reviews_total', 'route="mutate"');
  const create = async () => {
    const started = performance.now();
    await core.createNamespacedPod({ namespace: NAMESPACE, body: pod() });
    return performance.now() - started;
  };

  /** Switches the configurations and waits until the API server acts on them. */
  const switchTo = async (scope: Scope) => {
    await webhook.configure(SCOPES[scope]);
    const wantsReview = scope === 'cluster';
    for (let settled = 0; settled < 3; ) {
      const before = await reviews();
      await create();
      const reviewed = (await reviews()) > before;
      settled = reviewed === wantsReview ? settled + 1 : 0;
      if (settled === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  const samples: Record<Scope, number[]> = { none: [], cluster: [], namespaces: [] };
  const reviewed: Record<Scope, number> = { none: 0, cluster: 0, namespaces: 0 };
  for (let round = 0; round < rounds; round++) {
    for (const scope of Object.keys(SCOPES) as Scope[]) {
      await switchTo(scope);
      const before = await reviews();
      for (let i = 0; i < podsPerTurn; i++) samples[scope].push(await create());
      reviewed[scope] += (await reviews()) - before;
    }
    // Pods pile up in etcd otherwise; the next round starts from an empty namespace.
    await core.deleteCollectionNamespacedPod({ namespace: NAMESPACE, labelSelector: 'bench=scope' });
    log(`round ${round + 1}/${rounds} done`);
  }
  await webhook.process.stop();

  const quantile = (values: number[], q: number) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  };
  const base = quantile(samples.none, 0.5);
  log('');
  log(`pod creations (not opted in, with a controller), ${rounds} rounds x ${podsPerTurn} pods per scope:`);
  log('');
  log('| webhook configuration | reviews per pod | p50 create | p90 create | p50 vs no webhook |');
  log('|---|---|---|---|---|');
  for (const scope of Object.keys(SCOPES) as Scope[]) {
    const p50 = quantile(samples[scope], 0.5);
    const p90 = quantile(samples[scope], 0.9);
    log(
      `| ${scope} | ${(reviewed[scope] / samples[scope].length).toFixed(2)} | ${p50.toFixed(1)} ms | ${p90.toFixed(1)} ms | ${(p50 / base).toFixed(2)}x |`,
    );
  }
} finally {
  await cp.stop();
}
