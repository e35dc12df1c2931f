import type { V1Pod, V1PodTemplateSpec } from '@kubernetes/client-node';
import { isOurKey, KEYS } from '../contract/keys.ts';
import { mergeAnnotations } from '../contract/opt-in.ts';
import { formatProblems, type Problem, type RawAnnotations } from '../contract/policy.ts';
import type { ClusterContext } from '../inject/cluster-context.ts';
import { type Decision, decide } from '../inject/decide.ts';
import { diffPatch } from '../inject/patch.ts';
import { SKIP_REASONS, type SkipReason } from '../inject/reasons.ts';
import {
  describeObject,
  isWorkloadKind,
  type KubeObject,
  podTemplateOf,
  workloadAnnotationsOf,
} from '../inject/workloads.ts';
import { type JudgeFacts, judge, type ToleratedReason, toleratedWarning } from './judge.ts';
import type { OwnerLookup } from './owner-lookup.ts';
import { type AdmissionRequest, allowed, denied, patched, type Verdict, withWarnings } from './review.ts';

export type Outcome = 'injected' | 'skipped' | 'denied' | 'tolerated' | 'errored' | 'allowed' | 'ignored';

export interface Admitted {
  verdict: Verdict;
  outcome: Outcome;
  reasons?: SkipReason[];
  /** Why invalid settings were allowed rather than refused (see judge.ts). */
  tolerated?: ToleratedReason[];
  notes?: string[];
  /** Set when the owner lookup failed and the pod's own annotations were used alone. */
  ownerLookupError?: unknown;
}

/**
 * POST /mutate: a Pod CREATE gets the volume and sidecar if it (or its workload) opted in.
 * Throws only on a bug or a malformed request; the route then admits the pod unchanged.
 */
export async function admitPod(
  request: AdmissionRequest,
  cluster: ClusterContext,
  lookupOwner: OwnerLookup,
): Promise<Admitted> {
  if (request.kind.kind !== 'Pod' || request.subResource || request.operation !== 'CREATE') {
    return { verdict: allowed(), outcome: 'ignored' };
  }
  const pod = request.object as V1Pod | undefined;
  if (!pod) throw new Error('request.object is missing for a Pod CREATE');
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
  const facts: JudgeFacts = {
    controlled: isControlled(pod),
    previous: undefined,
    own: mergeAnnotations(workloadAnnotations, pod.metadata?.annotations ?? {}),
    defaults: cluster.defaults,
  };
  const admitted = verdictFor(decision, pod, describeObject(pod, namespace), facts);
  if (ownerLookupError !== undefined) {
    admitted.ownerLookupError = ownerLookupError;
    admitted.verdict = withWarnings(admitted.verdict, [
      "Logward could not read this pod's owner; only the pod's own logward.io annotations were applied",
    ]);
  }
  return admitted;
}

function verdictFor(decision: Decision, pod: V1Pod, name: string, facts: JudgeFacts): Admitted {
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
      return judged(decision.problems, decision.warnings, name, facts);
  }
}

/** Denied or allowed with warnings, by the one rule in judge.ts. */
function judged(problems: Problem[], warnings: string[], name: string, facts: JudgeFacts): Admitted {
  const judgment = judge(problems, facts);
  const toleratedWarnings = judgment.tolerated.map((t) => toleratedWarning(name, t, facts));
  const tolerated = [...new Set(judgment.tolerated.map((t) => t.reason))];
  if (judgment.kind === 'deny') {
    return {
      verdict: withWarnings(denied(`${name}: ${formatProblems(judgment.problems)}`), [
        ...warnings,
        ...toleratedWarnings,
      ]),
      outcome: 'denied',
      tolerated,
    };
  }
  return {
    verdict: withWarnings(allowed(), [...warnings, ...toleratedWarnings]),
    outcome: 'tolerated',
    tolerated,
  };
}

/** A pod that says "false" for itself, or carries no owner, needs no API call. */
function needsOwner(pod: V1Pod): boolean {
  if (pod.metadata?.annotations?.[KEYS.inject] === 'false') return false;
  return isControlled(pod);
}

function isControlled(object: Pick<KubeObject, 'metadata'>): boolean {
  return (object.metadata?.ownerReferences ?? []).some((ref) => ref.controller);
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

  const decision = decideTemplate(object, template, cluster, namespace);
  const name = describeObject(object, namespace);
  switch (decision.kind) {
    case 'invalid': {
      const facts: JudgeFacts = {
        controlled: isControlled(object),
        previous:
          request.operation === 'UPDATE'
            ? previousProblems(request.oldObject, cluster, namespace)
            : undefined,
        own: mergeAnnotations(workloadAnnotationsOf(object), template.metadata?.annotations ?? {}),
        defaults: cluster.defaults,
      };
      return judged(decision.problems, decision.warnings, name, facts);
    }
    case 'inject':
      return {
        verdict: withWarnings(allowed(), [...decision.warnings, ...decision.notes]),
        outcome: 'allowed',
      };
    case 'skip': {
      const warnings = [...decision.warnings];
      const reason = decision.reasons[0]!;
      if (reason === 'classic_sidecar_blocks_job' || reason === 'windows_pod')
        warnings.push(`Logward will not inject ${name}: ${SKIP_REASONS[reason]}`);
      if (reason === 'not_opted_in' && hasOurKeys(template, workloadAnnotationsOf(object))) {
        warnings.push(
          `${name} has Logward annotations but no ${KEYS.inject}: "true"; Logward leaves it alone`,
        );
      }
      return { verdict: withWarnings(allowed(), warnings), outcome: 'allowed', reasons: decision.reasons };
    }
  }
}

/** A workload decided through its pod template, its own annotations standing for the owner's. */
function decideTemplate(
  object: KubeObject,
  template: V1PodTemplateSpec,
  cluster: ClusterContext,
  namespace: string | undefined,
): Decision {
  const pod: V1Pod = { metadata: template.metadata ?? {}, spec: template.spec } as V1Pod;
  return decide(pod, { ...cluster, namespace, workloadAnnotations: workloadAnnotationsOf(object) });
}

/** What was already wrong before an UPDATE: not refused again, whoever sends the update. */
function previousProblems(
  old: KubeObject | undefined,
  cluster: ClusterContext,
  namespace: string | undefined,
): Problem[] {
  const template = old && podTemplateOf(old);
  if (!old || !template) return [];
  const decision = decideTemplate(old, template, cluster, namespace);
  return decision.kind === 'invalid' ? decision.problems : [];
}

function hasOurKeys(template: V1PodTemplateSpec, workload: RawAnnotations): boolean {
  return [...Object.keys(template.metadata?.annotations ?? {}), ...Object.keys(workload)].some(isOurKey);
}
