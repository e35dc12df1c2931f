import { isOurKey, KEYS } from '../contract/keys.ts';
import { ownSettings } from '../contract/layers.ts';
import { formatProblems, type Problem } from '../contract/policy.ts';
import type { ClusterContext } from '../inject/cluster-context.ts';
import { type Decision, needsNamespace, needsOwner } from '../inject/decide.ts';
import { diffPatch } from '../inject/patch.ts';
import { type InjectionSkipReason, SKIP_REASONS } from '../inject/reasons.ts';
import { decideSubject, type Subject, subjectOf } from '../inject/subject.ts';
import { isWorkloadKind } from '../inject/workloads.ts';
import { type JudgeFacts, judge, type ToleratedReason, toleratedWarning } from './judge.ts';
import type { NamespaceLookup } from './namespace-lookup.ts';
import type { OwnerLookup } from './owner-lookup.ts';
import { type AdmissionRequest, allowed, denied, patched, type Verdict, withWarnings } from './review.ts';
import type { TemplateAnswers } from './template-answers.ts';

/** How a review ended: the `outcome` label of logward_webhook_reviews_total. */
export type ReviewOutcome =
  | 'injected'
  | 'skipped'
  | 'denied'
  | 'tolerated'
  | 'errored'
  | 'allowed'
  | 'ignored';

export interface Admitted {
  verdict: Verdict;
  outcome: ReviewOutcome;
  reasons?: InjectionSkipReason[];
  /** Why invalid settings were allowed rather than refused (see judge.ts). */
  tolerated?: ToleratedReason[];
  notes?: string[];
  /** Set when the owner lookup failed and the pod's own annotations were used alone. */
  ownerLookupError?: unknown;
  /** Set when the Namespace could not be read: the pod was left as if Logward were absent. */
  namespaceLookupError?: unknown;
}

/** What the webhook reads from the API server to decide: a pod's owner and its Namespace. */
export interface Lookups {
  owner: OwnerLookup;
  namespace: NamespaceLookup;
}

export const IGNORED: Admitted = { verdict: allowed(), outcome: 'ignored' };

/**
 * POST /mutate: a Pod CREATE gets the volume and sidecar if it, its workload or its namespace
 * opted it in. Throws only on a bug or a malformed request; the route then admits the pod
 * unchanged.
 */
export async function admitPod(
  request: AdmissionRequest,
  cluster: ClusterContext,
  lookups: Lookups,
  /** Answers already given to the same pod object with the same inputs (a template's replicas). */
  answers?: TemplateAnswers,
): Promise<Admitted> {
  if (request.kind.kind !== 'Pod' || request.subResource || request.operation !== 'CREATE') return IGNORED;
  if (!request.object) throw new Error('request.object is missing for a Pod CREATE');
  const subject = subjectOf(request.object, 'Pod', request.namespace);
  if (!subject) return IGNORED;

  const context = { ...cluster, namespace: subject.namespace };
  // Both at once: the owner chain costs round trips, the Namespace usually none (a cache).
  const [owner, namespace] = await Promise.all([
    needsOwner(subject.pod, context) ? settle(lookups.owner(subject.pod, subject.namespace)) : undefined,
    needsNamespace(subject.pod, context) ? settle(lookups.namespace(subject.namespace!)) : undefined,
  ]);
  if (owner?.ok) subject.workloadAnnotations = owner.value;
  if (namespace?.ok) subject.namespaceAnnotations = namespace.value;
  if (namespace && !namespace.ok) subject.namespaceAnnotations = undefined;

  const decideAndAnswer = () =>
    answer('mutate', decideSubject(subject, cluster), subject, factsOf(subject, cluster));
  const admitted = answers
    ? answers.answer(
        subject.pod,
        {
          namespace: subject.namespace,
          workloadAnnotations: subject.workloadAnnotations,
          namespaceAnnotations: subject.namespaceAnnotations,
          cluster,
        },
        decideAndAnswer,
      )
    : decideAndAnswer();
  const warnings: string[] = [];
  if (owner && !owner.ok) {
    admitted.ownerLookupError = owner.error;
    warnings.push(
      "Logward could not read this pod's owner; only the pod's own logward.io annotations were applied",
    );
  }
  if (namespace && !namespace.ok) {
    admitted.namespaceLookupError = namespace.error;
    if (admitted.reasons?.includes('namespace_unknown')) {
      warnings.push(
        `Logward could not read Namespace ${subject.namespace}, whose annotations may opt this pod in or set its defaults; it is admitted as if Logward were absent`,
      );
    }
  }
  if (warnings.length > 0) admitted.verdict = withWarnings(admitted.verdict, warnings);
  return admitted;
}

/**
 * POST /validate for the workload kinds: the same contract checked when a workload is applied,
 * where a human sees the message and the warnings (pods are created by controllers, whose
 * warnings nobody reads).
 */
export async function validateWorkload(
  request: AdmissionRequest,
  cluster: ClusterContext,
  lookupNamespace: NamespaceLookup,
): Promise<Admitted> {
  const { kind } = request.kind;
  if (
    !request.object ||
    !isWorkloadKind(kind) ||
    request.subResource ||
    !['CREATE', 'UPDATE'].includes(request.operation)
  ) {
    return IGNORED;
  }
  const subject = subjectOf(request.object, kind, request.namespace);
  if (!subject) return IGNORED;
  if (needsNamespace(subject.pod, { ...cluster, namespace: subject.namespace })) {
    const namespace = await settle(lookupNamespace(subject.namespace!));
    // Without its namespace's defaults a workload cannot be judged fairly (a budget of its own
    // may fit the namespace's size limit and not the built-in one): its pods are, when created.
    if (!namespace.ok) {
      return {
        verdict: withWarnings(allowed(), [
          `Logward could not read Namespace ${subject.namespace} to check ${subject.name} against its defaults; its pods are checked when they are created`,
        ]),
        outcome: 'allowed',
        reasons: ['namespace_unknown'],
        namespaceLookupError: namespace.error,
      };
    }
    subject.namespaceAnnotations = namespace.value;
  }
  const previous =
    request.operation === 'UPDATE'
      ? previousProblems(request.oldObject, kind, request, cluster, subject.namespaceAnnotations)
      : undefined;
  return answer('validate', decideSubject(subject, cluster), subject, factsOf(subject, cluster, previous));
}

/**
 * A decision as each route answers it, `outcome` being its metrics label. /mutate answers the
 * API server on behalf of a controller: the patch, or nothing to patch. /validate answers
 * whoever applies a workload: never a patch, but the notes, and the skip reasons SKIP_REASONS
 * says are worth knowing, as warnings. Invalid settings go to the judge on both.
 */
function answer(
  route: 'mutate' | 'validate',
  decision: Decision,
  subject: Subject,
  facts: JudgeFacts,
): Admitted {
  switch (decision.kind) {
    case 'invalid':
      return judged(decision.problems, decision.warnings, subject.name, facts);
    case 'inject':
      return route === 'mutate'
        ? {
            verdict: withWarnings(patched(diffPatch(subject.pod, decision.pod)), decision.warnings),
            outcome: 'injected',
            notes: decision.notes,
          }
        : { verdict: withWarnings(allowed(), [...decision.warnings, ...decision.notes]), outcome: 'allowed' };
    case 'skip': {
      const { reasons, warnings } = decision;
      if (route === 'mutate')
        return { verdict: withWarnings(allowed(), warnings), outcome: 'skipped', reasons };
      const reason = reasons[0]!;
      const row = SKIP_REASONS[reason];
      if (row.atApply === 'ignore') return IGNORED;
      const told = row.atApply === 'warn' ? [`Logward will not inject ${subject.name}: ${row.text}`] : [];
      if (reason === 'not_opted_in' && hasOurKeys(subject)) {
        told.push(
          `${subject.name} has Logward annotations but no ${KEYS.inject}: "true"; Logward leaves it alone`,
        );
      }
      return { verdict: withWarnings(allowed(), [...warnings, ...told]), outcome: 'allowed', reasons };
    }
  }
}

/** Denied or allowed with warnings, by the one rule in judge.ts. */
export function judged(problems: Problem[], warnings: string[], name: string, facts: JudgeFacts): Admitted {
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

function factsOf(subject: Subject, cluster: ClusterContext, previous?: readonly Problem[]): JudgeFacts {
  return {
    controlled: subject.controlled,
    previous,
    own: ownSettings({ pod: subject.pod.metadata?.annotations ?? {}, workload: subject.workloadAnnotations }),
    inherited: { namespace: subject.namespaceAnnotations ?? {}, cluster: cluster.defaults },
    namespaceName: subject.namespace,
  };
}

/** What was already wrong before an UPDATE: not refused again, whoever sends the update. */
function previousProblems(
  old: AdmissionRequest['oldObject'],
  kind: string,
  request: AdmissionRequest,
  cluster: ClusterContext,
  namespaceAnnotations: Subject['namespaceAnnotations'],
): Problem[] {
  const subject = old && subjectOf(old, kind, request.namespace ?? request.object?.metadata?.namespace);
  if (!subject) return [];
  subject.namespaceAnnotations = namespaceAnnotations;
  const decision = decideSubject(subject, cluster);
  return decision.kind === 'invalid' ? decision.problems : [];
}

function hasOurKeys(subject: Subject): boolean {
  return [
    ...Object.keys(subject.pod.metadata?.annotations ?? {}),
    ...Object.keys(subject.workloadAnnotations),
  ].some(isOurKey);
}

/** A promise's outcome as a value, so one failed lookup does not lose the other's answer. */
async function settle<T>(
  promise: Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}
