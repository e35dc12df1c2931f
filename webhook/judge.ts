import { BUILTIN_DEFAULTS, KEYS, type Key, shortName } from '../contract/keys.ts';
import { type Layer, settingsOf, sourceOf } from '../contract/layers.ts';
import type { Problem, RawAnnotations } from '../contract/policy.ts';

// The one rule for refusing: the webhook denies only what a person is introducing now, and only
// for a problem in the object's own annotations. Everything else is allowed with a warning: a
// refusal of a controller's write, of an unchanged object or of a setting an admin chose for the
// namespace or the cluster would block rollouts, scale-ups and garbage collection over something
// the writer cannot fix.
//
//   controlled | problem introduced | problem involves a | problem involves a | answer
//   by owner   | by this request    | namespace default  | cluster default    |
//   -----------+--------------------+--------------------+--------------------+-------------------------------------
//   yes        | any                | any                | any                | allowed, warning: judged_at_owner
//   no         | no                 | any                | any                | allowed, warning: not_introduced
//   no         | yes                | yes                | any                | allowed, warning: namespace_default
//   no         | yes                | no                 | yes                | allowed, warning: cluster_default
//   no         | yes                | no                 | no                 | denied
//
// A problem is introduced when the object did not have it (same key, same value) before this
// request: every problem of a CREATE, and on an UPDATE those whose value changed. It involves a
// namespace or cluster default when the value of its key, or of the other key of a cross-field
// problem, comes from the Namespace's annotations or a --default-* flag because the object does
// not set it (contract/layers.ts). A Namespace being applied is judged by the same rule, its own
// annotations being what it introduces and the cluster's defaults what it inherits.

export type ToleratedReason = 'judged_at_owner' | 'not_introduced' | 'namespace_default' | 'cluster_default';

export const TOLERATED_REASONS: Readonly<Record<ToleratedReason, string>> = {
  judged_at_owner: 'its controller wrote it; Logward checks these settings where its owner is applied',
  not_introduced: 'this request does not change them',
  namespace_default: "a default of its Namespace is part of the problem, not only this object's annotations",
  cluster_default: "a cluster default is part of the problem, not only this object's annotations",
};

export interface JudgeFacts {
  /** The object has a controlling owner (a ReplicaSet of a Deployment, a pod of a ReplicaSet). */
  controlled: boolean;
  /** The problems the object had before this UPDATE; undefined for a CREATE. */
  previous: readonly Problem[] | undefined;
  /** The object's own annotations, every level it carries (object, templates), merged. */
  own: RawAnnotations;
  /** What it inherits: its Namespace's annotations (`{}` for a Namespace itself) and the --default-* flags. */
  inherited: { namespace: RawAnnotations; cluster: RawAnnotations };
  /** The Namespace's name, for the warnings. */
  namespaceName: string | undefined;
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
  const layers = inheritedKeys(problem, facts).map(({ layer }) => layer);
  if (layers.includes('namespace')) return 'namespace_default';
  if (layers.includes('cluster')) return 'cluster_default';
  return undefined;
}

/** The keys of `problem` whose value the object inherits, with the layer each comes from. */
function inheritedKeys(problem: Problem, facts: JudgeFacts): { key: string; layer: Layer }[] {
  const keys = [problem.key, ...(problem.with ? [problem.with] : [])];
  // A share ("95%") is a share of the size limit: where one is compared, the size limit counts too.
  const inForce = (key: string) =>
    facts.own[key] ?? settingsOf(facts.inherited)[key] ?? BUILTIN_DEFAULTS[key as Key];
  if (keys.some((key) => inForce(key)?.trim().endsWith('%')) && !keys.includes(KEYS.sizeLimit)) {
    keys.push(KEYS.sizeLimit);
  }
  return keys.flatMap((key) => {
    if (facts.own[key] !== undefined) return [];
    const layer = sourceOf(key, facts.inherited);
    return layer ? [{ key, layer }] : [];
  });
}

/** The warning for a tolerated problem: the problem, why it is not refused, and where it comes from. */
export function toleratedWarning(subject: string, { problem, reason }: Tolerated, facts: JudgeFacts): string {
  const sources = inheritedKeys(problem, facts).map(({ key, layer }) =>
    layer === 'namespace'
      ? `${key} is an annotation of Namespace ${facts.namespaceName}`
      : `${key} is the webhook's --default-${shortName(key as Key)}`,
  );
  return `${subject}: ${problem.message} (${[...sources, `not refused: ${TOLERATED_REASONS[reason]}`].join('; ')}); Logward leaves its pods without the log volume and sidecar until this is fixed`;
}
