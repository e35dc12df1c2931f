import type { DecideContext } from './decide.ts';
import type { SidecarImage, SidecarMode } from './sidecar-container.ts';

/** Namespaces never mutated, whatever the webhook configuration's selectors say. */
export const ALWAYS_EXCLUDED: readonly string[] = ['kube-system', 'kube-public', 'kube-node-lease'];

/** Where Logward itself runs unless POD_NAMESPACE says otherwise. */
export const DEFAULT_OWN_NAMESPACE = 'logward-system';

/** What `decide` knows of the cluster: the same for every pod a webhook (or `logward inject`) sees. */
export type ClusterContext = Omit<
  DecideContext,
  'namespace' | 'workloadAnnotations' | 'namespaceAnnotations'
>;

/** The namespaces never injected: the system ones, Logward's own, and any the admin adds. */
export function excludedNamespaces(
  ownNamespace: string = DEFAULT_OWN_NAMESPACE,
  extra: readonly string[] = [],
): Set<string> {
  return new Set([...ALWAYS_EXCLUDED, ownNamespace, ...extra]);
}

/**
 * The one way a ClusterContext is built, by the webhook, `logward inject` and the demo alike,
 * so the offline paths decide exactly as the webhook would.
 */
export function clusterContext(parts: {
  image: SidecarImage;
  defaults: Record<string, string>;
  mode: SidecarMode;
  excludedNamespaces?: ReadonlySet<string>;
}): ClusterContext {
  return {
    defaults: parts.defaults,
    excludedNamespaces: parts.excludedNamespaces ?? excludedNamespaces(),
    image: parts.image,
    mode: parts.mode,
  };
}
