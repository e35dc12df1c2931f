import { isOurKey } from '../contract/keys.ts';
import { type ParseResult, parsePolicy, type RawAnnotations } from '../contract/policy.ts';

// The webhook decides every pod of a rollout, and they all carry the same settings: parsing
// them again (durations, quantities, globs compiled to be checked) was over a third of what
// deciding a pod cost. parsePolicy reads only logward.io/ keys, so those, with the cluster
// defaults, key its result. A result is shared between decisions, so it is frozen.

const LIMIT = 256;
const byDefaults = new WeakMap<RawAnnotations, Map<string, ParseResult>>();

/** parsePolicy(raw, defaults), computed once per set of logward.io/ settings and defaults object. */
export function rememberedPolicy(raw: RawAnnotations, defaults: RawAnnotations): ParseResult {
  let results = byDefaults.get(defaults);
  if (!results) {
    results = new Map();
    byDefaults.set(defaults, results);
  }
  const key = JSON.stringify(Object.entries(raw).filter(([name]) => isOurKey(name)));
  let result = results.get(key);
  if (!result) {
    result = deepFreeze(parsePolicy(raw, defaults));
    // Oldest first out: a bound, for a cluster with more distinct settings than that.
    if (results.size >= LIMIT) results.delete(results.keys().next().value!);
    results.set(key, result);
  }
  return result;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
