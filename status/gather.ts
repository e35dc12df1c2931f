import type { V1Namespace, V1Pod } from '@kubernetes/client-node';
import { isOurKey } from '../contract/keys.ts';
import type { RawAnnotations } from '../contract/policy.ts';
import type { ClusterContext } from '../inject/cluster-context.ts';
import { type KubeObject, WORKLOADS } from '../inject/workloads.ts';
import { KubeApiError, type KubeClient } from '../kube/client.ts';
import { listAll } from '../kube/list.ts';
import { metricsTargets, type StatusInput } from './rows.ts';
import { type WebhookFlags, webhookFlagsOf } from './webhook-flags.ts';

// What `logward status` reads from the API server: pods, workloads and Namespaces of the
// namespaces shown, and each running injected pod's sidecar /metrics through the API server's
// pod proxy (`/api/v1/namespaces/NS/pods/NAME:PORT/proxy/metrics`, RBAC `get pods/proxy`).

/** How many sidecars are asked at once: a namespace of hundreds of pods should not flood the API server. */
const METRICS_CONCURRENCY = 8;

export interface Gathered {
  input: StatusInput;
  /** What could not be read and what that leaves out, for stderr. */
  notes: string[];
}

/** `namespace` undefined: every namespace (-A). */
export async function gather(
  client: KubeClient,
  namespace: string | undefined,
  cluster: ClusterContext,
): Promise<Gathered> {
  const notes: string[] = [];
  const scoped = (prefix: string, resource: string) =>
    namespace === undefined
      ? `${prefix}/${resource}`
      : `${prefix}/namespaces/${encodeURIComponent(namespace)}/${resource}`;

  const [pods, workloads, namespaces] = await Promise.all([
    listAll<V1Pod>(client, scoped('/api/v1', 'pods')).then((listed) => listed.items),
    Promise.all(
      Object.entries(WORKLOADS).map(async ([kind, { apiVersion, resource }]) => {
        try {
          const { items } = await listAll<KubeObject>(client, scoped(`/apis/${apiVersion}`, resource));
          return items.map((item) => ({ ...item, kind }));
        } catch (error) {
          notes.push(`could not list ${resource} (${message(error)}); their pods are shown as bare pods`);
          return [];
        }
      }),
    ),
    readNamespaces(client, namespace, notes),
  ]);

  const metrics = new Map<string, { text: string } | { error: string }>();
  const targets = metricsTargets(pods);
  const phases = new Map(
    pods.map((pod) => [`${pod.metadata?.namespace}/${pod.metadata?.name}`, pod.status?.phase]),
  );
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
        metrics.set(target.key, { error: message(error) });
      }
    }
  };
  await Promise.all(Array.from({ length: METRICS_CONCURRENCY }, worker));

  return { input: { pods, workloads: workloads.flat(), namespaces, metrics, cluster }, notes };
}

async function readNamespaces(
  client: KubeClient,
  namespace: string | undefined,
  notes: string[],
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
    notes.push(
      `could not read Namespaces (${message(error)}); opt-ins and defaults set on a Namespace are not shown`,
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
): Promise<{ flags?: WebhookFlags; note?: string }> {
  const path = `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/deployments/logward-webhook`;
  try {
    const deployment = await client.read<{
      spec?: { template?: { spec?: { containers?: { name: string; args?: string[] }[] } } };
    }>(path);
    const container = deployment?.spec?.template?.spec?.containers?.find((c) => c.name === 'webhook');
    return container ? { flags: webhookFlagsOf(container.args ?? []) } : {};
  } catch (error) {
    return {
      note: `could not read the webhook's Deployment ${namespace}/logward-webhook (${message(error)}); pods left alone are judged without the cluster's --default-* flags`,
    };
  }
}
