/** Namespaces never mutated, whatever the webhook configuration's selectors say. */
export const ALWAYS_EXCLUDED: readonly string[] = ['kube-system', 'kube-public', 'kube-node-lease'];

/** Where Logward itself runs unless POD_NAMESPACE says otherwise. */
export const DEFAULT_OWN_NAMESPACE = 'logward-system';
