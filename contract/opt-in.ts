import { isOurKey, KEYS } from './keys.ts';
import { parseBool } from './kinds.ts';
import type { Problem, RawAnnotations } from './policy.ts';

export type OptIn =
  | { kind: 'in' }
  | { kind: 'out' }
  | { kind: 'unset' }
  | { kind: 'invalid'; problem: Problem };

/**
 * Opt-in from the pod's own (template) annotations and its owning workload's. The pod is the
 * more specific object, so it wins; a workload opts in all of its pods at once.
 *
 *   pod inject | workload inject | result
 *   -----------+-----------------+---------
 *   "true"     | any             | in
 *   "false"    | any             | out
 *   unset      | "true"          | in
 *   unset      | "false"         | out
 *   unset      | unset           | unset
 *   other      | any             | invalid (names the pod's key and value)
 *   unset      | other           | invalid (names the workload's key and value)
 */
export function resolveOptIn(pod: RawAnnotations, workload: RawAnnotations): OptIn {
  for (const annotations of [pod, workload]) {
    const value = annotations[KEYS.inject];
    if (value === undefined) continue;
    let problem: Problem | undefined;
    const optedIn = parseBool(KEYS.inject, value, (message) => {
      problem = { key: KEYS.inject, value, message };
    });
    if (problem) return { kind: 'invalid', problem };
    return { kind: optedIn ? 'in' : 'out' };
  }
  return { kind: 'unset' };
}

/** Our keys from the workload, overridden key by key by the pod's: the pod is more specific. */
export function mergeAnnotations(workload: RawAnnotations, pod: RawAnnotations): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const source of [workload, pod]) {
    for (const [key, value] of Object.entries(source)) {
      if (isOurKey(key) && value !== undefined) merged[key] = value;
    }
  }
  return merged;
}
