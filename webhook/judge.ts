import { type Key, shortName } from '../contract/keys.ts';
import type { Problem, RawAnnotations } from '../contract/policy.ts';

// The one rule for refusing: the webhook denies only what a person is introducing now, and only
// for a problem in the object's own annotations. Everything else is allowed with a warning: a
// refusal of a controller's write, of an unchanged object or of a setting the cluster admin
// chose would block rollouts, scale-ups and garbage collection over something the writer cannot
// fix.
//
//   controlled | problem introduced | problem involves a  | answer
//   by owner   | by this request    | cluster default     |
//   -----------+--------------------+---------------------+------------------------------------
//   yes        | any                | any                 | allowed, warning: judged_at_owner
//   no         | no                 | any                 | allowed, warning: not_introduced
//   no         | yes                | yes                 | allowed, warning: cluster_default
//   no         | yes                | no                  | denied
//
// A problem is introduced when the object did not have it (same key, same value) before this
// request: every problem of a CREATE, and on an UPDATE those whose value changed. It involves a
// cluster default when the value of its key, or of the other key of a cross-field problem,
// comes from a --default-* flag because the object does not set it.

export type ToleratedReason = 'judged_at_owner' | 'not_introduced' | 'cluster_default';

export const TOLERATED_REASONS: Readonly<Record<ToleratedReason, string>> = {
  judged_at_owner: 'its controller wrote it; Logward checks these settings where its owner is applied',
  not_introduced: 'this request does not change them',
  cluster_default: "a cluster default is part of the problem, not only this object's annotations",
};

export interface JudgeFacts {
  /** The object has a controlling owner (a ReplicaSet of a Deployment, a pod of a ReplicaSet). */
  controlled: boolean;
  /** The problems the object had before this UPDATE; undefined for a CREATE. */
  previous: readonly Problem[] | undefined;
  /** The object's own annotations, every level it carries (object, templates). */
  own: RawAnnotations;
  /** The webhook's --default-* values, keyed like annotations. */
  defaults: RawAnnotations;
}

export type Judgment =
  | { kind: 'deny'; problems: Problem[]; tolerated: Tolerated[] }
  | { kind: 'tolerate'; tolerated: Tolerated[] };

export interface Tolerated {
  problem: Problem;
  reason: ToleratedReason;
}

/** Sorts `problems` (of one decision, non-empty) into those that deny and those only warned about. */
export function judge(problems: readonly Problem[], facts: JudgeFacts): Judgment {
  const denying: Problem[] = [];
  const tolerated: Tolerated[] = [];
  for (const problem of problems) {
    const reason = toleratedBecause(problem, facts);
    if (reason) tolerated.push({ problem, reason });
    else denying.push(problem);
  }
  return denying.length > 0
    ? { kind: 'deny', problems: denying, tolerated }
    : { kind: 'tolerate', tolerated };
}

function toleratedBecause(problem: Problem, facts: JudgeFacts): ToleratedReason | undefined {
  if (facts.controlled) return 'judged_at_owner';
  if (facts.previous?.some((p) => p.key === problem.key && p.value === problem.value))
    return 'not_introduced';
  if (defaultKeys(problem, facts).length > 0) return 'cluster_default';
  return undefined;
}

/** The keys of `problem` whose value is a cluster default. */
function defaultKeys(problem: Problem, facts: JudgeFacts): string[] {
  return [problem.key, ...(problem.with ? [problem.with] : [])].filter(
    (key) => facts.own[key] === undefined && facts.defaults[key] !== undefined,
  );
}

/** The warning for a tolerated problem: the problem, why it is not refused, and where it comes from. */
export function toleratedWarning(subject: string, { problem, reason }: Tolerated, facts: JudgeFacts): string {
  const sources = defaultKeys(problem, facts).map(
    (key) => `${key} is the webhook's --default-${shortName(key as Key)}`,
  );
  return `${subject}: ${problem.message} (${[...sources, `not refused: ${TOLERATED_REASONS[reason]}`].join('; ')}); Logward leaves its pods without the log volume and sidecar until this is fixed`;
}
