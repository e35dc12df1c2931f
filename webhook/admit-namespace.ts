import { ENABLED_LABEL, isOurKey, KEYS } from '../contract/keys.ts';
import { checkNamespaceDefaults } from '../contract/namespace-defaults.ts';
import type { RawAnnotations } from '../contract/policy.ts';
import type { ClusterContext } from '../inject/cluster-context.ts';
import { type Admitted, IGNORED, judged } from './admit.ts';
import type { JudgeFacts } from './judge.ts';
import { type AdmissionRequest, allowed, withWarnings } from './review.ts';

/**
 * POST /validate for a Namespace: its logward.io/ annotations are defaults for every pod in it
 * (contract/layers.ts), checked when it is applied by the same rule as a workload's (judge.ts):
 * a value that does not parse, or does not fit the cluster's defaults under it, is refused when
 * a person introduces it, and allowed with a warning otherwise. A pod is never refused for its
 * namespace's annotations.
 */
export function validateNamespace(request: AdmissionRequest, cluster: ClusterContext): Admitted {
  const object = request.object;
  if (
    !object ||
    request.kind.kind !== 'Namespace' ||
    request.kind.group !== '' ||
    request.subResource ||
    !['CREATE', 'UPDATE'].includes(request.operation)
  ) {
    return IGNORED;
  }
  const name = object.metadata?.name ?? request.name ?? '';
  const title = `Namespace ${name}`;
  const annotations: RawAnnotations = object.metadata?.annotations ?? {};
  if (!Object.keys(annotations).some(isOurKey)) return IGNORED;
  if (cluster.excludedNamespaces.has(name)) {
    return {
      verdict: withWarnings(allowed(), [
        `${title} is excluded from injection: Logward leaves its pods alone, and its logward.io annotations have no effect`,
      ]),
      outcome: 'allowed',
      reasons: ['namespace_excluded'],
    };
  }
  const check = checkNamespaceDefaults(annotations, cluster.defaults);
  const told = [...check.warnings, ...hints(title, annotations, object.metadata?.labels ?? {}, cluster)];
  if (check.problems.length === 0) return { verdict: withWarnings(allowed(), told), outcome: 'allowed' };
  const facts: JudgeFacts = {
    controlled: (object.metadata?.ownerReferences ?? []).some((ref) => ref.controller),
    previous:
      request.operation === 'UPDATE'
        ? checkNamespaceDefaults(request.oldObject?.metadata?.annotations ?? {}, cluster.defaults).problems
        : undefined,
    own: annotations,
    inherited: { namespace: {}, cluster: cluster.defaults },
    namespaceName: name,
  };
  return judged(check.problems, told, title, facts);
}

/** What an admin opting a namespace in should know about which of its pods Logward will see. */
function hints(
  title: string,
  annotations: RawAnnotations,
  labels: Readonly<Record<string, string>>,
  cluster: ClusterContext,
): string[] {
  if (annotations[KEYS.inject] !== 'true') return [];
  const told: string[] = [];
  if (labels[ENABLED_LABEL.key] !== ENABLED_LABEL.value) {
    told.push(
      `${title} opts its pods in, but is not labelled ${ENABLED_LABEL.key}=${ENABLED_LABEL.value}: the webhook is sent only its pods that have a controller or ${KEYS.inject} of their own (and none of them where Logward's scope is "namespaces")`,
    );
  }
  if (cluster.mode === 'classic') {
    told.push(
      `sidecars are classic containers in this cluster: pods of ${title} that run to completion (Jobs, CronJobs) are left alone, since a classic sidecar would keep them from completing`,
    );
  }
  return told;
}
