import type { RawAnnotations } from '../contract/policy.ts';

/**
 * The annotations of the Namespace named `name` (`{}` when it has none, or does not exist).
 * Rejects when they cannot be known; the pod is then left as if Logward were absent.
 */
export type NamespaceLookup = (name: string) => Promise<RawAnnotations>;

/** Used when the webhook has no cluster credentials, and in tests: no Namespace has annotations. */
export const noNamespaceLookup: NamespaceLookup = async () => ({});
