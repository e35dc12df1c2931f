import type { V1Pod } from '@kubernetes/client-node';
import type { RawAnnotations } from '../contract/policy.ts';

/**
 * Annotations of the workloads that own a pod, merged from the top of the chain down
 * (Deployment, then ReplicaSet), or `{}` when the pod has no controller. Rejects when the API
 * cannot answer; callers degrade to the pod's own annotations.
 */
export type OwnerLookup = (pod: V1Pod, namespace: string | undefined) => Promise<RawAnnotations>;

/** Used when the webhook has no cluster credentials, and in tests. */
export const noOwnerLookup: OwnerLookup = async () => ({});
