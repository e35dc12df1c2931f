import type { V1Pod } from '@kubernetes/client-node';
import { KEYS, STATUS_INJECTED } from '../contract/keys.ts';
import { type Layers, sourceOf } from '../contract/layers.ts';
import { resolveOptIn } from '../contract/opt-in.ts';
import { formatProblems, type RawAnnotations } from '../contract/policy.ts';
import type { ClusterContext } from '../inject/cluster-context.ts';
import { decide } from '../inject/decide.ts';
import { METRICS_PORT_NAME, SIDECAR_CONTAINER } from '../inject/names.ts';
import { type InjectionSkipReason, SKIP_REASONS } from '../inject/reasons.ts';
import { type KubeObject, podTemplateOf, workloadAnnotationsOf } from '../inject/workloads.ts';
import { parsePrometheusText, sampleSum } from './prometheus-text.ts';

// What `logward status` shows, from what the API server and the sidecars said: pure, so the
// whole view is tested from objects and metrics text, without a cluster.

/** Where a pod's or workload's opt-in comes from (contract/layers.ts). */
export type OptedInBy = 'pod' | 'workload' | 'namespace';

/** Why an opted-in pod runs without the sidecar: a skip reason of the webhook's, or one of these. */
export type NotInjectedReason = InjectionSkipReason | 'invalid_settings' | 'created_without_webhook';

export interface PodRow {
  namespace: string;
  name: string;
  /** `Deployment/web`: the top of its owner chain; undefined for a bare pod. */
  workload: string | undefined;
  phase: string;
  injected: boolean;
  optedInBy: OptedInBy | undefined;
  /** Set when it is not injected: a stable code, and the text a person reads. */
  reason?: NotInjectedReason;
  why?: string;
  /** From the sidecar's metrics, for an injected pod whose metrics could be read. */
  usageBytes?: number;
  budgetBytes?: number;
  hardLimitBytes?: number;
  limitBytes?: number;
  /** When the sidecar last rotated a file (ISO 8601); null if it never has. */
  lastRotation?: string | null;
  /** Why the metrics are missing: not running yet, or the proxy's answer. */
  metricsError?: string;
}

export interface WorkloadRow {
  namespace: string;
  kind: string;
  name: string;
  optedInBy: OptedInBy | undefined;
  /** Its opt-in does not parse: the message names the key and value. */
  invalid?: string;
  pods: number;
  injected: number;
}

export interface StatusInput {
  pods: readonly V1Pod[];
  /** Workloads of the namespaces shown, every kind, with `kind` set. */
  workloads: readonly KubeObject[];
  /** Each namespace's annotations; undefined where they could not be read. */
  namespaces: ReadonlyMap<string, RawAnnotations | undefined>;
  /** `/metrics` of each injected pod's sidecar, by `namespace/name`: its text or why there is none. */
  metrics: ReadonlyMap<string, { text: string } | { error: string }>;
  cluster: ClusterContext;
}

export interface Status {
  workloads: WorkloadRow[];
  pods: PodRow[];
}

export const NOT_INJECTED_TEXT: Readonly<Record<'invalid_settings' | 'created_without_webhook', string>> = {
  invalid_settings: 'its settings are invalid',
  created_without_webhook:
    'opted in, but created without the sidecar: the webhook was not reachable then, or the opt-in came later; recreate the pod (kubectl rollout restart)',
};

/** The pods to ask for metrics: injected and running, with the sidecar's metrics port. */
export function metricsTargets(
  pods: readonly V1Pod[],
): { key: string; namespace: string; name: string; port: number }[] {
  return pods.flatMap((pod) => {
    const port = metricsPortOf(pod);
    const { namespace, name } = pod.metadata ?? {};
    if (!isInjected(pod) || port === undefined || !namespace || !name) return [];
    return [{ key: `${namespace}/${name}`, namespace, name, port }];
  });
}

/** The rows of `logward status`: opted-in workloads, and the pods opted in or injected. */
export function statusRows(input: StatusInput): Status {
  const byUid = new Map<string, KubeObject>();
  for (const object of input.workloads) if (object.metadata?.uid) byUid.set(object.metadata.uid, object);

  const pods: PodRow[] = [];
  const podsOf = new Map<string, { pods: number; injected: number }>();
  for (const pod of input.pods) {
    const namespace = pod.metadata?.namespace ?? '';
    const top = topOwner(pod, byUid);
    const layers: Partial<Layers> = {
      pod: pod.metadata?.annotations ?? {},
      workload: top ? workloadAnnotationsOf(top, top.kind) : {},
      namespace: input.namespaces.get(namespace) ?? {},
    };
    const injected = isInjected(pod);
    const optIn = resolveOptIn(layers);
    if (top?.metadata?.uid) {
      const counts = podsOf.get(top.metadata.uid) ?? { pods: 0, injected: 0 };
      counts.pods++;
      if (injected) counts.injected++;
      podsOf.set(top.metadata.uid, counts);
    }
    if (!injected && optIn.kind !== 'in' && optIn.kind !== 'invalid') continue;
    const row: PodRow = {
      namespace,
      name: pod.metadata?.name ?? '',
      workload: top ? `${top.kind}/${top.metadata?.name}` : undefined,
      phase: pod.status?.phase ?? 'Unknown',
      injected,
      optedInBy: sourceOf(KEYS.inject, layers) as OptedInBy | undefined,
    };
    if (injected) Object.assign(row, metricsOf(input.metrics.get(`${namespace}/${row.name}`)));
    else Object.assign(row, whyNot(pod, layers, input, namespace));
    pods.push(row);
  }

  const workloads: WorkloadRow[] = [];
  for (const object of input.workloads) {
    if (isBetween(object, byUid)) continue;
    const namespace = object.metadata?.namespace ?? '';
    const template = podTemplateOf(object, object.kind);
    const layers: Partial<Layers> = {
      pod: template?.metadata?.annotations ?? {},
      workload: workloadAnnotationsOf(object, object.kind),
      namespace: input.namespaces.get(namespace) ?? {},
    };
    const optIn = resolveOptIn(layers);
    if (optIn.kind !== 'in' && optIn.kind !== 'invalid') continue;
    const counts = podsOf.get(object.metadata?.uid ?? '') ?? { pods: 0, injected: 0 };
    workloads.push({
      namespace,
      kind: object.kind ?? '',
      name: object.metadata?.name ?? '',
      optedInBy: sourceOf(KEYS.inject, layers) as OptedInBy | undefined,
      ...(optIn.kind === 'invalid' ? { invalid: optIn.problem.message } : {}),
      ...counts,
    });
  }
  const order = <T extends { namespace: string; name: string }>(a: T, b: T) =>
    a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name);
  return { workloads: workloads.sort(order), pods: pods.sort(order) };
}

function isInjected(pod: V1Pod): boolean {
  return pod.metadata?.annotations?.[KEYS.status] === STATUS_INJECTED;
}

/** The sidecar's metrics port: its named port, else its `--metrics-port` flag. */
function metricsPortOf(pod: V1Pod): number | undefined {
  const sidecar = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find(
    (c) => c.name === SIDECAR_CONTAINER,
  );
  if (!sidecar) return undefined;
  const named = sidecar.ports?.find((p) => p.name === METRICS_PORT_NAME)?.containerPort;
  if (named) return named;
  const flag = sidecar.args?.find((a) => a.startsWith('--metrics-port='))?.split('=')[1];
  const port = Number(flag);
  return flag && Number.isInteger(port) && port > 0 ? port : undefined;
}

/** The top of a pod's owner chain among the listed workloads: a ReplicaSet's Deployment, a Job's CronJob. */
function topOwner(pod: V1Pod, byUid: ReadonlyMap<string, KubeObject>): KubeObject | undefined {
  let current: KubeObject | undefined;
  let refs = pod.metadata?.ownerReferences ?? [];
  for (let depth = 0; depth < 4; depth++) {
    const ref = refs.find((r) => r.controller);
    const owner = ref && byUid.get(ref.uid);
    if (!owner) return current;
    current = owner;
    refs = owner.metadata?.ownerReferences ?? [];
  }
  return current;
}

/** A ReplicaSet of a Deployment, a Job of a CronJob: shown through its owner, not on its own. */
function isBetween(object: KubeObject, byUid: ReadonlyMap<string, KubeObject>): boolean {
  return (object.metadata?.ownerReferences ?? []).some((ref) => ref.controller && byUid.has(ref.uid));
}

function whyNot(
  pod: V1Pod,
  layers: Partial<Layers>,
  input: StatusInput,
  namespace: string,
): Pick<PodRow, 'reason' | 'why'> {
  const decision = decide(pod, {
    ...input.cluster,
    namespace,
    workloadAnnotations: layers.workload ?? {},
    namespaceAnnotations: input.namespaces.get(namespace),
  });
  if (decision.kind === 'skip') {
    const reason = decision.reasons[0]!;
    return { reason, why: SKIP_REASONS[reason].text };
  }
  if (decision.kind === 'invalid') {
    return {
      reason: 'invalid_settings',
      why: `${NOT_INJECTED_TEXT.invalid_settings}: ${formatProblems(decision.problems)}`,
    };
  }
  return { reason: 'created_without_webhook', why: NOT_INJECTED_TEXT.created_without_webhook };
}

function metricsOf(
  metrics: { text: string } | { error: string } | undefined,
): Pick<
  PodRow,
  'usageBytes' | 'budgetBytes' | 'hardLimitBytes' | 'limitBytes' | 'lastRotation' | 'metricsError'
> {
  if (!metrics) return { metricsError: 'the sidecar is not running' };
  if ('error' in metrics) return { metricsError: metrics.error };
  const samples = parsePrometheusText(metrics.text);
  const usageBytes = sampleSum(samples, 'logward_sidecar_usage_bytes');
  if (usageBytes === undefined) return { metricsError: 'its metrics have no logward_sidecar_usage_bytes' };
  const rotated = sampleSum(samples, 'logward_sidecar_last_rotation_timestamp_seconds');
  return {
    usageBytes,
    budgetBytes: sampleSum(samples, 'logward_sidecar_budget_bytes'),
    hardLimitBytes: sampleSum(samples, 'logward_sidecar_hard_limit_bytes'),
    limitBytes: sampleSum(samples, 'logward_sidecar_limit_bytes'),
    lastRotation: rotated && rotated > 0 ? new Date(rotated * 1000).toISOString() : null,
  };
}
