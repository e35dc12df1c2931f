import type { V1Pod } from '@kubernetes/client-node';
import type { RawAnnotations } from '../contract/policy.ts';

/**
 * Annotations of the workload at the top of a pod's owner chain (the Deployment of its
 * ReplicaSet, the CronJob of its Job), or `{}` when the pod has no controller. Rejects when the
 * API cannot answer; callers degrade to the pod's own annotations.
 */
export type OwnerLookup = (pod: V1Pod, namespace: string | undefined) => Promise<RawAnnotations>;

/** Used when the webhook has no cluster credentials, and in tests. */
export const noOwnerLookup: OwnerLookup = async () => ({});
