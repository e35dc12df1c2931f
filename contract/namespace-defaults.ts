// A Namespace's logward.io/ annotations are defaults for its pods (layers.ts). They are checked
// when the Namespace is applied, by the same parsers as a pod's, so a typo is refused where a
// person reads the message rather than carried into every pod of the namespace.
import { ALL_KEYS, KEYS, NAMESPACE_KEYS } from './keys.ts';
import { settingsOf } from './layers.ts';
import { resolveOptIn } from './opt-in.ts';
import { type Problem, parsePolicy, type RawAnnotations } from './policy.ts';
import { unknownKeyWarnings } from './unknown-keys.ts';

export interface NamespaceCheck {
  /** Values that do not parse or do not fit together, each naming the key, value and accepted form. */
  problems: Problem[];
  warnings: string[];
}

/**
 * Checks a Namespace's annotations as the defaults they are: each value by its key's kind, then
 * across keys together with the cluster's defaults under them. `log-dir` may be left to the
 * pods: a stand-in is checked where neither the namespace nor the cluster sets one.
 */
export function checkNamespaceDefaults(annotations: RawAnnotations, cluster: RawAnnotations): NamespaceCheck {
  const problems: Problem[] = [];
  const warnings = unknownKeyWarnings(annotations);
  const allowed = new Set<string>(NAMESPACE_KEYS);
  for (const key of ALL_KEYS) {
    if (annotations[key] !== undefined && !allowed.has(key)) {
      warnings.push(`${key} is not a default a Namespace can set; it is ignored here`);
    }
  }
  const optIn = resolveOptIn({ namespace: annotations });
  if (optIn.kind === 'invalid') problems.push(optIn.problem);
  const parsed = parsePolicy(settingsOf({ namespace: annotations }), { [KEYS.logDir]: '/log', ...cluster });
  if (!parsed.ok) problems.push(...parsed.problems);
  warnings.push(...parsed.warnings);
  return { problems, warnings };
}
