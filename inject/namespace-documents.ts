import { isOurKey } from '../contract/keys.ts';
import { checkNamespaceDefaults } from '../contract/namespace-defaults.ts';
import { formatProblems, type RawAnnotations } from '../contract/policy.ts';
import type { KubeObject } from './workloads.ts';

// `logward inject` reads Namespaces as the webhook does: their logward.io/ annotations are the
// defaults (and the opt-in) of the objects placed in them, from the manifests themselves or from
// `--namespace-file` (`kubectl get namespace shop -o yaml`, a List of them included).

export interface NamespaceDocuments {
  /** Each Namespace's logward.io/ annotations, by name; the last document naming one wins. */
  namespaces: Map<string, RawAnnotations>;
  /** Namespaces whose annotations the webhook would refuse when they are applied. */
  invalid: string[];
}

/** The Namespaces among `objects` (a `kind: List`'s items included), checked against the cluster's defaults. */
export function namespaceDocuments(
  objects: readonly unknown[],
  defaults: RawAnnotations,
): NamespaceDocuments {
  const namespaces = new Map<string, RawAnnotations>();
  const visit = (object: unknown) => {
    if (!object || typeof object !== 'object') return;
    const kube = object as KubeObject;
    if (kube.kind === 'List' || kube.kind === 'NamespaceList') {
      if (Array.isArray(kube.items)) for (const item of kube.items) visit(item);
      return;
    }
    if (kube.kind !== 'Namespace' || (kube.apiVersion ?? 'v1') !== 'v1' || !kube.metadata?.name) return;
    const ours = Object.entries(kube.metadata.annotations ?? {}).filter(([key]) => isOurKey(key));
    namespaces.set(kube.metadata.name, Object.fromEntries(ours));
  };
  for (const object of objects) visit(object);
  const invalid = [...namespaces].flatMap(([name, annotations]) => {
    const { problems } = checkNamespaceDefaults(annotations, defaults);
    return problems.length > 0 ? [`Namespace ${name}: ${formatProblems(problems)}`] : [];
  });
  return { namespaces, invalid };
}
