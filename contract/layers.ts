// Where a pod's settings come from. Every key, the opt-in included, is read from the first
// layer that sets it; the more specific object wins:
//
//   pod (template) | workload | namespace | cluster flag | value in force
//   ---------------+----------+-----------+--------------+--------------------------------
//   set            | any      | any       | any          | the pod's
//   unset          | set      | any       | any          | the workload's
//   unset          | unset    | set       | any          | the namespace's
//   unset          | unset    | unset     | set          | the cluster's (--default-<key>)
//   unset          | unset    | unset     | unset        | the built-in default (keys.ts)
//
// The order holds key by key: a pod that sets `max-age` still gets its namespace's
// `size-limit`. The workload is the top of the pod's owner chain (the Deployment, not its
// ReplicaSet). The two lower layers are admins' defaults and count only for the keys admins
// may default: a Namespace for those and the opt-in (NAMESPACE_KEYS), the cluster flags for
// those alone (DEFAULTABLE_KEYS); anything else there is ignored, and a Namespace is told so
// when it is applied. Nothing here depends on what a key means, so a key added to the table
// (or a key that holds a list) is layered like every other.
import { DEFAULTABLE_KEYS, isOurKey, NAMESPACE_KEYS } from './keys.ts';
import type { RawAnnotations } from './policy.ts';

export interface Layers {
  /** The pod's own annotations, or its template's. */
  pod: RawAnnotations;
  /** The owning workload's (`{}` for a pod without one). */
  workload: RawAnnotations;
  /** The Namespace's annotations as written (`{}` when it has none). */
  namespace: RawAnnotations;
  /** The webhook's `--default-*` flags, keyed like annotations. */
  cluster: RawAnnotations;
}

export type Layer = keyof Layers;

/** The layers from the most specific to the most general: the first to set a key wins. */
export const PRECEDENCE: readonly Layer[] = ['pod', 'workload', 'namespace', 'cluster'];

const namespaceKeys = new Set<string>(NAMESPACE_KEYS);
const clusterKeys = new Set<string>(DEFAULTABLE_KEYS);

/** Which keys each layer may set. */
const COUNTS: Readonly<Record<Layer, (key: string) => boolean>> = {
  pod: isOurKey,
  workload: isOurKey,
  namespace: (key) => namespaceKeys.has(key),
  cluster: (key) => clusterKeys.has(key),
};

/** The layer `key`'s value comes from; undefined where none sets it (the built-in default applies). */
export function sourceOf(key: string, layers: Partial<Layers>): Layer | undefined {
  return PRECEDENCE.find((layer) => COUNTS[layer](key) && layers[layer]?.[key] !== undefined);
}

/** Every key some layer of `layers` sets, with the value in force: the first layer to set it wins. */
export function settingsOf(layers: Partial<Layers>): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const layer of [...PRECEDENCE].reverse()) {
    for (const [key, value] of Object.entries(layers[layer] ?? {})) {
      if (value !== undefined && COUNTS[layer](key)) merged[key] = value;
    }
  }
  return merged;
}

/** What the object itself says: the pod's keys over its workload's. */
export function ownSettings(layers: Partial<Layers>): Record<string, string> {
  return settingsOf({ pod: layers.pod, workload: layers.workload });
}

/** What the object inherits from admins: its namespace's defaults over the cluster's. */
export function inheritedSettings(layers: Partial<Layers>): Record<string, string> {
  return settingsOf({ namespace: layers.namespace, cluster: layers.cluster });
}
