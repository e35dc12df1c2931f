import { KEYS } from './keys.ts';
import { parseBool } from './kinds.ts';
import { type Layers, sourceOf } from './layers.ts';
import type { Problem } from './policy.ts';

export type OptIn =
  | { kind: 'in' }
  | { kind: 'out' }
  | { kind: 'unset' }
  | { kind: 'invalid'; problem: Problem };

/**
 * Opt-in from the pod's own (template) annotations, its owning workload's and its Namespace's,
 * in the order of every setting (layers.ts): the first to say wins. A workload opts in all of
 * its pods at once, a Namespace every pod in it; a pod or workload can still opt out.
 *
 *   pod inject | workload inject | namespace inject | result
 *   -----------+-----------------+------------------+---------
 *   "true"     | any             | any              | in
 *   "false"    | any             | any              | out
 *   unset      | "true"          | any              | in
 *   unset      | "false"         | any              | out
 *   unset      | unset           | "true"           | in
 *   unset      | unset           | "false"          | out
 *   unset      | unset           | unset            | unset
 *   other      | any             | any              | invalid (names the pod's value)
 *   unset      | other           | any              | invalid (names the workload's value)
 *   unset      | unset           | other            | invalid (names the namespace's value)
 *
 * The cluster cannot opt pods in: the opt-in is no `--default-*` flag.
 */
export function resolveOptIn(layers: Partial<Layers>): OptIn {
  const layer = sourceOf(KEYS.inject, layers);
  if (layer === undefined) return { kind: 'unset' };
  const value = layers[layer]![KEYS.inject]!;
  let problem: Problem | undefined;
  const optedIn = parseBool(KEYS.inject, value, (message) => {
    problem = { key: KEYS.inject, value, message };
  });
  if (problem) return { kind: 'invalid', problem };
  return { kind: optedIn ? 'in' : 'out' };
}
