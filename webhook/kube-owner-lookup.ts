import type { KubernetesObject, V1OwnerReference, V1Pod } from '@kubernetes/client-node';
import type { RawAnnotations } from '../contract/policy.ts';
import { type KubeObject, WORKLOADS, workloadAnnotationsOf } from '../inject/workloads.ts';
import type { KubeClient } from '../kube/client.ts';
import type { OwnerLookup } from './owner-lookup.ts';

// The owner chains Kubernetes builds for pods: the workload kinds Logward reads (workloads.ts).
// Only these are followed, and only these need RBAC `get`: a custom controller's owner is a kind
// we know nothing about. Each maps to the API path of its objects.
export const FOLLOWED: ReadonlyMap<string, string> = new Map(
  Object.entries(WORKLOADS).map(([kind, { apiVersion, resource }]) => [
    `${apiVersion}/${kind}`,
    `/apis/${apiVersion}/namespaces/{namespace}/${resource}/{name}`,
  ]),
);

export interface KubeOwnerLookupOptions {
  /** The whole chain must resolve within this; admission has a few seconds in all. */
  timeoutMs: number;
  /** How long an owner's annotations are reused: a rollout creates many pods from one owner. */
  cacheTtlMs: number;
  now?: () => number;
}

type Read = (ref: {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}) => Promise<KubernetesObject | undefined>;

/** Resolves Pod -> ReplicaSet -> Deployment (or Job -> CronJob, ...) through the API server. */
export function kubeOwnerLookup(client: KubeClient, options: KubeOwnerLookupOptions): OwnerLookup {
  // A deleted owner is an answer ("no annotations"), not a failure: read() gives undefined.
  const read: Read = (ref) => client.read<KubernetesObject>(ownerPath(ref)!);
  return ownerLookupWith(cachedRead(read, options.cacheTtlMs, options.now ?? Date.now), options.timeoutMs);
}

/** Where the API server serves `ref`, or undefined for a kind the lookup does not follow. */
export function ownerPath(ref: Parameters<Read>[0]): string | undefined {
  return FOLLOWED.get(`${ref.apiVersion}/${ref.kind}`)
    ?.replace('{namespace}', encodeURIComponent(ref.namespace))
    .replace('{name}', encodeURIComponent(ref.name));
}

/** The chain walk, separate from the client so it can be tested against a table of objects. */
export function ownerLookupWith(read: Read, timeoutMs: number): OwnerLookup {
  return (pod, namespace) => withTimeout(walk(read, pod, namespace), timeoutMs);
}

/**
 * The settings of the top of the chain: the Deployment, not its ReplicaSet. The Deployment
 * controller copies a Deployment's annotations onto its ReplicaSets but never removes one, so a
 * ReplicaSet can hold an opt-in or a setting that was since taken off the Deployment; the
 * workload a person edits is the one that counts.
 */
async function walk(read: Read, pod: V1Pod, namespace: string | undefined): Promise<RawAnnotations> {
  let top: KubernetesObject | undefined;
  let ref = controllerOf(pod.metadata?.ownerReferences);
  const ns = namespace ?? pod.metadata?.namespace;
  for (let depth = 0; ref && ns && FOLLOWED.has(`${ref.apiVersion}/${ref.kind}`) && depth < 4; depth++) {
    const owner = await read({ apiVersion: ref.apiVersion, kind: ref.kind, namespace: ns, name: ref.name });
    if (!owner) break;
    top = { ...owner, kind: ref.kind };
    ref = controllerOf(owner.metadata?.ownerReferences);
  }
  // A CronJob's own annotations and its job template's, as the validating webhook reads them.
  return top ? workloadAnnotationsOf(top as KubeObject) : {};
}

function controllerOf(refs: readonly V1OwnerReference[] | undefined): V1OwnerReference | undefined {
  return refs?.find((ref) => ref.controller);
}

function cachedRead(read: Read, ttlMs: number, now: () => number): Read {
  const cache = new Map<string, { expires: number; value: Promise<KubernetesObject | undefined> }>();
  return (ref) => {
    const key = `${ref.apiVersion}/${ref.kind}/${ref.namespace}/${ref.name}`;
    const hit = cache.get(key);
    if (hit && hit.expires > now()) return hit.value;
    const value = read(ref);
    cache.set(key, { expires: now() + ttlMs, value });
    // Failures are not remembered: the next pod retries.
    value.catch(() => cache.delete(key));
    if (cache.size > 10_000) cache.delete(cache.keys().next().value!);
    return value;
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`owner lookup took longer than ${ms}ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
