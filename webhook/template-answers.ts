import type { RawAnnotations } from '../contract/policy.ts';
import type { ClusterContext } from '../inject/cluster-context.ts';
import type { Admitted } from './admit.ts';

// A scale-up sends a pod template's replicas one after another, each the same object
// (review-text.ts hands them over as one frozen object). What is decided for one is decided for
// all, as long as everything else the decision reads is the same too: the workload's and the
// Namespace's annotations (which change while replicas are created) and the cluster's context
// (the sidecar mode follows the cluster). So an answer is remembered per pod object, with those
// inputs beside it, and given again only when every one of them is equal.

/** Everything `decide` reads for a pod, besides the pod itself. */
export interface DecisionInputs {
  namespace: string | undefined;
  workloadAnnotations: RawAnnotations;
  namespaceAnnotations: RawAnnotations | undefined;
  cluster: ClusterContext;
}

export interface TemplateAnswers {
  /**
   * The answer given before for this pod and inputs, or `compute()`'s, remembered when the pod
   * is frozen (a pod anyone may still change is never a key). Each call gets its own copy.
   */
  answer(pod: object, inputs: DecisionInputs, compute: () => Admitted): Admitted;
}

/** Answers kept per pod: inputs change rarely, and each change makes the older ones stale. */
const PER_POD = 4;

export function templateAnswers(): TemplateAnswers {
  const byPod = new WeakMap<object, { inputs: DecisionInputs; admitted: Admitted }[]>();
  return {
    answer(pod, inputs, compute) {
      if (!Object.isFrozen(pod)) return compute();
      const known = byPod.get(pod) ?? [];
      const found = known.find((entry) => sameInputs(entry.inputs, inputs));
      if (found) return { ...found.admitted };
      const admitted = compute();
      // Frozen as the pod is: the replicas share it, and its answer's text with it (completeText).
      Object.freeze(admitted.verdict);
      byPod.set(pod, [{ inputs, admitted: { ...admitted } }, ...known].slice(0, PER_POD));
      return admitted;
    },
  };
}

function sameInputs(a: DecisionInputs, b: DecisionInputs): boolean {
  return (
    a.namespace === b.namespace &&
    sameRecord(a.workloadAnnotations, b.workloadAnnotations) &&
    sameRecord(a.namespaceAnnotations, b.namespaceAnnotations) &&
    // Member by member, so a member added to the context later is compared without a change here.
    sameRecord(a.cluster, b.cluster)
  );
}

function sameRecord(a: object | undefined, b: object | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every(
    (key) =>
      Object.hasOwn(b, key) && (a as Record<string, unknown>)[key] === (b as Record<string, unknown>)[key],
  );
}
