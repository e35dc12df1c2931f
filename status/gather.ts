import type { V1Namespace, V1Pod } from '@kubernetes/client-node';
import { isOurKey } from '../contract/keys.ts';
import type { RawAnnotations } from '../contract/policy.ts';
import type { ClusterContext } from '../inject/cluster-context.ts';
import { type KubeObject, WORKLOADS } from '../inject/workloads.ts';
import { KubeApiError, type KubeClient } from '../kube/client.ts';
import { listAll } from '../kube/list.ts';
import { type Denied, deniedBy, Forbidden, where } from './forbidden.ts';
import { metricsTargets, type StatusInput } from './rows.ts';
import { type WebhookFlags, webhookFlagsOf } from './webhook-flags.ts';

// What `logward status` reads from the API server: pods, workloads and Namespaces of the
// namespaces shown, and each running injected pod's sidecar /metrics through the API server's
// pod proxy (`/api/v1/namespaces/NS/pods/NAME:PORT/proxy/metrics`, RBAC `get pods/proxy`).
// The ClusterRole logward-status (deploy/base/rbac.yaml) grants exactly these reads; a test
// (test/deploy/rbac.test.ts) records the requests made here and compares them with its rules.

/** How many sidecars are asked at once: a namespace of hundreds of pods should not flood the API server. */
const METRICS_CONCURRENCY = 8;

export interface Gathered {
  input: StatusInput;
  /** What could not be read and what that leaves out, for stderr. */
  notes: string[];
  /** The reads RBAC refused, for the lines that say how to grant them. */
  denied: Denied[];
}

/** `namespace` undefined: every namespace (-A). */
export async function gather(
  client: KubeClient,
  namespace: string | undefined,
  cluster: ClusterContext,
): Promise<Gathered> {
  const notes: string[] = [];
  const denied: Denied[] = [];
  /** The note for a failed read (`list deployments in namespace shop`): `may not` when RBAC refused it. */
  const failed = (error: unknown, what: string, leavesOut: string) => {
    const refusal = deniedBy(error, namespace);
    if (refusal) denied.push(refusal);
    notes.push(
      refusal
        ? `may not ${what} (403 Forbidden); ${leavesOut}`
        : `could not ${what} (${message(error)}); ${leavesOut}`,
    );
  };
  const scoped = (prefix: string, resource: string) =>
    namespace === undefined
      ? `${prefix}/${resource}`
      : `${prefix}/namespaces/${encodeURIComponent(namespace)}/${resource}`;

  const [pods, workloads, namespaces] = await Promise.all([
    listAll<V1Pod>(client, scoped('/api/v1', 'pods')).then(
      (listed) => listed.items,
      (error) => {
        // Nothing to show without them: an error, saying what grants them when RBAC refused.
        const refusal = deniedBy(error, namespace);
        if (!refusal) throw error;
        throw new Forbidden(`may not list pods ${where(namespace)} (403 Forbidden)`, [refusal], error);
      },
    ),
    Promise.all(
      Object.entries(WORKLOADS).map(async ([kind, { apiVersion, resource }]) => {
        try {
          const { items } = await listAll<KubeObject>(client, scoped(`/apis/${apiVersion}`, resource));
          return items.map((item) => ({ ...item, kind }));
        } catch (error) {
          failed(error, `list ${resource} ${where(namespace)}`, 'their pods are shown as bare pods');
          return [];
        }
      }),
    ),
    readNamespaces(client, namespace, notes, failed),
  ]);

  const metrics = new Map<string, { text: string } | { error: string }>();
  const targets = metricsTargets(pods);
  const phases = new Map(
    pods.map((pod) => [`${pod.metadata?.namespace}/${pod.metadata?.name}`, pod.status?.phase]),
  );
  /** Namespaces where RBAC refused the pod proxy, and how many pods' metrics that left out. */
  const proxyRefused = new Map<string, number>();
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const target = targets[next++]!;
      const phase = phases.get(target.key);
      if (phase !== 'Running') {
        metrics.set(target.key, { error: `the pod is ${phase ?? 'in an unknown phase'}` });
        continue;
      }
      const path = `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/pods/${encodeURIComponent(target.name)}:${target.port}/proxy/metrics`;
      try {
        metrics.set(target.key, { text: await client.readText(path) });
      } catch (error) {
        const refusal = deniedBy(error, namespace);
        if (refusal) {
          if (proxyRefused.size === 0) denied.push(refusal);
          proxyRefused.set(target.namespace, (proxyRefused.get(target.namespace) ?? 0) + 1);
        }
        metrics.set(target.key, {
          error: refusal ? 'may not get pods/proxy (403 Forbidden)' : message(error),
        });
      }
    }
  };
  await Promise.all(Array.from({ length: METRICS_CONCURRENCY }, worker));
  if (proxyRefused.size > 0) {
    const count = [...proxyRefused.values()].reduce((sum, n) => sum + n, 0);
    const names = [...proxyRefused.keys()].sort();
    notes.push(
      `may not get pods/proxy in ${names.length === 1 ? 'namespace' : 'namespaces'} ${names.join(', ')} (403 Forbidden); the sidecar metrics of ${count} ${count === 1 ? 'pod are' : 'pods are'} not shown (usage, budget, last rotation)`,
    );
  }

  return { input: { pods, workloads: workloads.flat(), namespaces, metrics, cluster }, notes, denied };
}

async function readNamespaces(
  client: KubeClient,
  namespace: string | undefined,
  notes: string[],
  failed: (error: unknown, what: string, leavesOut: string) => void,
): Promise<Map<string, RawAnnotations | undefined>> {
  const ours = (ns: V1Namespace): RawAnnotations =>
    Object.fromEntries(Object.entries(ns.metadata?.annotations ?? {}).filter(([key]) => isOurKey(key)));
  try {
    if (namespace !== undefined) {
      const found = await client.read<V1Namespace>(`/api/v1/namespaces/${encodeURIComponent(namespace)}`);
      if (!found) notes.push(`namespace ${namespace} not found`);
      return new Map([[namespace, found ? ours(found) : {}]]);
    }
    const { items } = await listAll<V1Namespace>(client, '/api/v1/namespaces');
    return new Map(items.map((ns) => [ns.metadata?.name ?? '', ours(ns)]));
  } catch (error) {
    // Without them a pod opted in by its namespace is not recognised as opted in.
    failed(
      error,
      namespace === undefined ? 'list Namespaces' : `get Namespace ${namespace}`,
      'opt-ins and defaults set on a Namespace are not shown',
    );
    return new Map();
  }
}

function message(error: unknown): string {
  if (error instanceof KubeApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * The flags of the webhook's Deployment (`logward-webhook` in `namespace`), as the chart and
 * deploy/ name it. Missing (another install, or none): no flags and nothing to say; unreadable:
 * a note, since reasons are then judged without the cluster's defaults.
 */
export async function readWebhookFlags(
  client: KubeClient,
  namespace: string,
): Promise<{ flags?: WebhookFlags; note?: string; denied?: Denied }> {
  const path = `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/deployments/logward-webhook`;
  try {
    const deployment = await client.read<{
      spec?: { template?: { spec?: { containers?: { name: string; args?: string[] }[] } } };
    }>(path);
    const container = deployment?.spec?.template?.spec?.containers?.find((c) => c.name === 'webhook');
    return container ? { flags: webhookFlagsOf(container.args ?? []) } : {};
  } catch (error) {
    const denied = deniedBy(error, namespace);
    const what = `the webhook's Deployment ${namespace}/logward-webhook`;
    const leavesOut = "pods left alone are judged without the cluster's --default-* flags";
    return denied
      ? { note: `may not get ${what} (403 Forbidden); ${leavesOut}`, denied }
      : { note: `could not read ${what} (${message(error)}); ${leavesOut}` };
  }
}
