import type { V1Pod, V1PodTemplateSpec } from '@kubernetes/client-node';
import { isOurKey, KEYS } from '../contract/keys.ts';
import { formatProblems, type RawAnnotations } from '../contract/policy.ts';
import { type DecideContext, type Decision, decide } from './decide.ts';
import type { OwnerLookup } from './owner-lookup.ts';
import { diffPatch } from './patch.ts';
import { SKIP_REASONS, type SkipReason } from './reasons.ts';
import {
  type AdmissionRequest,
  allowed,
  denied,
  errored,
  patched,
  type Verdict,
  withWarnings,
} from './review.ts';
import { describeObject, isWorkloadKind, podTemplateOf, workloadAnnotationsOf } from './workloads.ts';

export type Outcome = 'injected' | 'skipped' | 'denied' | 'errored' | 'ignored' | 'allowed';

export interface Admitted {
  verdict: Verdict;
  outcome: Outcome;
  reasons?: SkipReason[];
  notes?: string[];
  /** Set when the owner lookup failed and the pod's own annotations were used alone. */
  ownerLookupError?: unknown;
}

export type ClusterContext = Omit<DecideContext, 'namespace' | 'workloadAnnotations'>;

/** POST /mutate: a Pod CREATE gets the volume and sidecar if it (or its workload) opted in. */
export async function admitPod(
  request: AdmissionRequest,
  cluster: ClusterContext,
  lookupOwner: OwnerLookup,
): Promise<Admitted> {
  if (request.kind.kind !== 'Pod' || request.subResource || request.operation !== 'CREATE') {
    return { verdict: allowed(), outcome: 'ignored' };
  }
  const pod = request.object as V1Pod | undefined;
  if (!pod)
    return { verdict: errored(400, 'request.object is missing for a Pod CREATE'), outcome: 'errored' };
  const namespace = request.namespace ?? pod.metadata?.namespace;
  if (namespace !== undefined && cluster.excludedNamespaces.has(namespace)) {
    return { verdict: allowed(), outcome: 'skipped', reasons: ['namespace_excluded'] };
  }

  let workloadAnnotations: RawAnnotations = {};
  let ownerLookupError: unknown;
  if (needsOwner(pod)) {
    try {
      workloadAnnotations = await lookupOwner(pod, namespace);
    } catch (error) {
      ownerLookupError = error;
    }
  }
  const decision = decide(pod, { ...cluster, namespace, workloadAnnotations });
  const admitted = verdictFor(decision, pod, namespace);
  if (ownerLookupError !== undefined) {
    admitted.ownerLookupError = ownerLookupError;
    admitted.verdict = withWarnings(admitted.verdict, [
      "Logward could not read this pod's owner; only the pod's own logward.io annotations were applied",
    ]);
  }
  return admitted;
}

function verdictFor(decision: Decision, pod: V1Pod, namespace: string | undefined): Admitted {
  switch (decision.kind) {
    case 'inject':
      return {
        verdict: withWarnings(patched(diffPatch(pod, decision.pod)), decision.warnings),
        outcome: 'injected',
        notes: decision.notes,
      };
    case 'skip':
      return {
        verdict: withWarnings(allowed(), decision.warnings),
        outcome: 'skipped',
        reasons: decision.reasons,
      };
    case 'invalid':
      return {
        verdict: withWarnings(
          denied(`${describeObject(pod, namespace)}: ${formatProblems(decision.problems)}`),
          decision.warnings,
        ),
        outcome: 'denied',
      };
  }
}

/** A pod that says "false" for itself, or carries no owner, needs no API call. */
function needsOwner(pod: V1Pod): boolean {
  if (pod.metadata?.annotations?.[KEYS.inject] === 'false') return false;
  return (pod.metadata?.ownerReferences ?? []).some((ref) => ref.controller);
}

/**
 * POST /validate: the same contract checked when a workload is applied, where a human sees the
 * message and the warnings (pods are created by controllers, whose warnings nobody reads).
 */
export function validateWorkload(request: AdmissionRequest, cluster: ClusterContext): Admitted {
  const object = request.object;
  if (
    !object ||
    !isWorkloadKind(request.kind.kind) ||
    request.subResource ||
    !['CREATE', 'UPDATE'].includes(request.operation)
  ) {
    return { verdict: allowed(), outcome: 'ignored' };
  }
  const namespace = request.namespace ?? object.metadata?.namespace;
  if (namespace !== undefined && cluster.excludedNamespaces.has(namespace))
    return { verdict: allowed(), outcome: 'ignored' };
  const template = podTemplateOf(object);
  if (!template) return { verdict: allowed(), outcome: 'ignored' };

  const workloadAnnotations = workloadAnnotationsOf(object);
  const pod: V1Pod = { metadata: template.metadata ?? {}, spec: template.spec } as V1Pod;
  const decision = decide(pod, { ...cluster, namespace, workloadAnnotations });
  const name = describeObject(object, namespace);
  switch (decision.kind) {
    case 'invalid':
      return {
        verdict: withWarnings(denied(`${name}: ${formatProblems(decision.problems)}`), decision.warnings),
        outcome: 'denied',
      };
    case 'inject':
      return {
        verdict: withWarnings(allowed(), [...decision.warnings, ...decision.notes]),
        outcome: 'allowed',
      };
    case 'skip': {
      const warnings = [...decision.warnings];
      const reason = decision.reasons[0]!;
      if (reason === 'classic_sidecar_blocks_job')
        warnings.push(`Logward will not inject ${name}: ${SKIP_REASONS[reason]}`);
      if (reason === 'not_opted_in' && hasOurKeys(template, workloadAnnotations)) {
        warnings.push(
          `${name} has Logward annotations but no ${KEYS.inject}: "true"; Logward leaves it alone`,
        );
      }
      return { verdict: withWarnings(allowed(), warnings), outcome: 'allowed', reasons: decision.reasons };
    }
  }
}

function hasOurKeys(template: V1PodTemplateSpec, workload: RawAnnotations): boolean {
  return [...Object.keys(template.metadata?.annotations ?? {}), ...Object.keys(workload)].some(isOurKey);
}
