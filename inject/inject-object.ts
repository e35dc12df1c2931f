import type { V1Pod } from '@kubernetes/client-node';
import { formatProblems } from '../contract/policy.ts';
import type { ClusterContext } from './cluster-context.ts';
import { decide } from './decide.ts';
import { SKIP_REASONS } from './reasons.ts';
import {
  describeObject,
  isWorkloadKind,
  type KubeObject,
  podTemplateOf,
  withPodTemplate,
  workloadAnnotationsOf,
} from './workloads.ts';

export type InjectOutcome =
  | { kind: 'injected'; object: KubeObject; notes: string[]; warnings: string[] }
  | { kind: 'unchanged'; note?: string }
  | { kind: 'invalid'; message: string };

/**
 * One manifest object through the webhook's own decision: a Pod is decided as itself, a
 * workload through its pod template with its own annotations as the owner's. Anything else,
 * and anything not opted in, comes back unchanged.
 */
export function injectObject(object: KubeObject, cluster: ClusterContext): InjectOutcome {
  const namespace = object.metadata?.namespace;
  const name = describeObject(object);
  if (object.kind === 'List' && Array.isArray(object.items)) {
    return injectList(object, cluster);
  }
  let pod: V1Pod;
  let workloadAnnotations = {};
  if (object.kind === 'Pod' && (object.apiVersion ?? 'v1') === 'v1') {
    pod = object as V1Pod;
  } else if (isWorkloadKind(object.kind)) {
    const template = podTemplateOf(object);
    if (!template) return { kind: 'unchanged' };
    pod = { metadata: template.metadata ?? {}, spec: template.spec } as V1Pod;
    workloadAnnotations = workloadAnnotationsOf(object);
  } else {
    return { kind: 'unchanged' };
  }

  const decision = decide(pod, { ...cluster, namespace, workloadAnnotations });
  switch (decision.kind) {
    case 'invalid':
      return { kind: 'invalid', message: `${name}: ${formatProblems(decision.problems)}` };
    case 'skip': {
      const reason = decision.reasons[0]!;
      const quiet = reason === 'not_opted_in' || reason === 'opted_out';
      return {
        kind: 'unchanged',
        ...(quiet ? {} : { note: `${name} left unchanged: ${SKIP_REASONS[reason]}` }),
      };
    }
    case 'inject': {
      const injected =
        object.kind === 'Pod'
          ? (decision.pod as KubeObject)
          : withPodTemplate(object, { metadata: decision.pod.metadata, spec: decision.pod.spec });
      return {
        kind: 'injected',
        object: injected,
        notes: decision.notes.map((n) => `${name}: ${n}`),
        warnings: decision.warnings,
      };
    }
  }
}

function injectList(list: KubeObject, cluster: ClusterContext): InjectOutcome {
  const items = list.items as KubeObject[];
  const outcomes = items.map((item) => injectObject(item, cluster));
  const invalid = outcomes.filter((o) => o.kind === 'invalid');
  if (invalid.length > 0) return { kind: 'invalid', message: invalid.map((o) => o.message).join('\n') };
  if (!outcomes.some((o) => o.kind === 'injected')) return { kind: 'unchanged' };
  return {
    kind: 'injected',
    object: { ...list, items: outcomes.map((o, i) => (o.kind === 'injected' ? o.object : items[i])) },
    notes: outcomes.flatMap((o) =>
      o.kind === 'injected' ? o.notes : o.kind === 'unchanged' && o.note ? [o.note] : [],
    ),
    warnings: outcomes.flatMap((o) => (o.kind === 'injected' ? o.warnings : [])),
  };
}
