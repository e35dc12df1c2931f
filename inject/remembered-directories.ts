import { type DirectoriesResult, parseDirectories } from '../contract/directories.ts';
import { isOurKey } from '../contract/keys.ts';
import type { RawAnnotations } from '../contract/policy.ts';

// The webhook decides every pod of a rollout, and they all carry the same settings: parsing
// them again (durations, quantities, globs compiled to be checked) was over a third of what
// deciding a pod cost. parseDirectories reads only logward.io/ keys, so those, of the pod's own
// settings and of what it inherits (namespace, cluster), key its result. A result is shared
// between decisions, so it is frozen.

const LIMIT = 256;
const results = new Map<string, DirectoriesResult>();

/** parseDirectories(own, inherited), computed once per set of logward.io/ settings. */
export function rememberedDirectories(own: RawAnnotations, inherited: RawAnnotations): DirectoriesResult {
  const key = JSON.stringify([ours(own), ours(inherited)]);
  let result = results.get(key);
  if (!result) {
    result = deepFreeze(parseDirectories(own, inherited));
    // Oldest first out: a bound, for a cluster with more distinct settings than that.
    if (results.size >= LIMIT) results.delete(results.keys().next().value!);
    results.set(key, result);
  }
  return result;
}

function ours(raw: RawAnnotations): [string, string | undefined][] {
  return Object.entries(raw).filter(([name]) => isOurKey(name));
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
