import { formatProblems, type RawAnnotations } from '../contract/policy.ts';
import type { ClusterContext } from './cluster-context.ts';
import { SKIP_REASONS } from './reasons.ts';
import { decideSubject, subjectOf } from './subject.ts';
import type { KubeObject } from './workloads.ts';

export type InjectOutcome =
  | { kind: 'injected'; object: KubeObject; notes: string[]; warnings: string[] }
  | { kind: 'unchanged'; note?: string }
  | { kind: 'invalid'; message: string };

/** Where the objects of a manifest are and what their Namespaces say, as the webhook would read it. */
export interface Placement {
  /** The namespace of an object that names none (`logward inject -n`). */
  namespace?: string;
  /** The logward.io/ annotations of each Namespace known: its defaults and opt-in. */
  namespaces: ReadonlyMap<string, RawAnnotations>;
}

const NOWHERE: Placement = { namespaces: new Map() };

/**
 * One manifest object through the webhook's own decision (subject.ts says what is decided), or
 * each item of a `kind: List`. Anything else, and anything not opted in, comes back unchanged.
 * A namespace not in `placement.namespaces` has no annotations, as for the webhook a Namespace
 * without them.
 */
export function injectObject(
  object: KubeObject,
  cluster: ClusterContext,
  placement = NOWHERE,
): InjectOutcome {
  if (object.kind === 'List' && Array.isArray(object.items)) {
    return injectList(object, cluster, placement);
  }
  const subject = subjectOf(object, object.kind, object.metadata?.namespace ?? placement.namespace);
  if (!subject) return { kind: 'unchanged' };
  subject.namespaceAnnotations =
    (subject.namespace !== undefined && placement.namespaces.get(subject.namespace)) || {};
  const { name } = subject;
  const decision = decideSubject(subject, cluster);
  switch (decision.kind) {
    case 'invalid':
      return { kind: 'invalid', message: `${name}: ${formatProblems(decision.problems)}` };
    case 'skip': {
      const reason = SKIP_REASONS[decision.reasons[0]!];
      return {
        kind: 'unchanged',
        ...(reason.offline === 'quiet' ? {} : { note: `${name} left unchanged: ${reason.text}` }),
      };
    }
    case 'inject':
      return {
        kind: 'injected',
        object: subject.withPod(decision.pod),
        notes: decision.notes.map((n) => `${name}: ${n}`),
        warnings: decision.warnings,
      };
  }
}

function injectList(list: KubeObject, cluster: ClusterContext, placement: Placement): InjectOutcome {
  const items = list.items as KubeObject[];
  const outcomes = items.map((item) => injectObject(item, cluster, placement));
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
