import type { V1ObjectMeta, V1PodTemplateSpec } from '@kubernetes/client-node';
import type { RawAnnotations } from '../contract/policy.ts';
import { JOB_WORKLOADS } from './jobs.ts';

/** Any Kubernetes object as it arrives in JSON: we read only apiVersion, kind and metadata. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ObjectMeta;
  spec?: unknown;
  [field: string]: unknown;
}

/** A kind of workload that makes pods from a template. */
export interface WorkloadKind {
  /** Its apiVersion: the owner lookup follows exactly these kinds up a pod's owner chain. */
  apiVersion: string;
  /** Its resource name in API paths (`/apis/apps/v1/namespaces/NS/deployments/NAME`). */
  resource: string;
  /** Where it keeps its pod template. */
  template: readonly string[];
  /** Annotations of an object between the workload and its pods, which count as the workload's too. */
  between?: readonly string[];
}

/**
 * The workloads Logward reads: one table serves the validating webhook, `logward inject` and the
 * owner lookup. A Pod is its own template; Jobs and CronJobs are in jobs.ts.
 */
export const WORKLOADS: Readonly<Record<string, WorkloadKind>> = {
  Deployment: { apiVersion: 'apps/v1', resource: 'deployments', template: ['spec', 'template'] },
  StatefulSet: { apiVersion: 'apps/v1', resource: 'statefulsets', template: ['spec', 'template'] },
  DaemonSet: { apiVersion: 'apps/v1', resource: 'daemonsets', template: ['spec', 'template'] },
  ReplicaSet: { apiVersion: 'apps/v1', resource: 'replicasets', template: ['spec', 'template'] },
  ...JOB_WORKLOADS,
};

export function isWorkloadKind(kind: string | undefined): kind is string {
  return kind !== undefined && Object.hasOwn(WORKLOADS, kind);
}

/** The pod template of a workload of kind `kind`, or undefined when it is missing. */
export function podTemplateOf(object: KubeObject, kind = object.kind): V1PodTemplateSpec | undefined {
  const path = isWorkloadKind(kind) ? WORKLOADS[kind]!.template : undefined;
  if (!path) return undefined;
  const node = at(object, path);
  return node !== null && typeof node === 'object' ? (node as V1PodTemplateSpec) : undefined;
}

/** Returns a copy of `object` whose pod template is `template`. */
export function withPodTemplate<T extends KubeObject>(
  object: T,
  template: V1PodTemplateSpec,
  kind = object.kind,
): T {
  if (!isWorkloadKind(kind)) throw new Error(`kind ${kind} has no pod template`);
  const path = WORKLOADS[kind]!.template;
  const copy = structuredClone(object);
  let node = copy as Record<string, unknown>;
  for (const field of path.slice(0, -1)) node = node[field] as Record<string, unknown>;
  node[path[path.length - 1]!] = template;
  return copy;
}

/** The workload's own annotations, and those of what it makes between itself and its pods. */
export function workloadAnnotationsOf(object: KubeObject, kind = object.kind): RawAnnotations {
  const own = object.metadata?.annotations ?? {};
  const between = isWorkloadKind(kind) ? WORKLOADS[kind]!.between : undefined;
  if (!between) return own;
  return { ...own, ...((at(object, between) as Record<string, string> | undefined) ?? {}) };
}

/** `Deployment shop/web`: how messages name an object. */
export function describeObject(object: Pick<KubeObject, 'kind' | 'metadata'>, namespace?: string): string {
  const ns = object.metadata?.namespace ?? namespace;
  const name =
    object.metadata?.name ??
    (object.metadata?.generateName ? `${object.metadata.generateName}*` : '<unnamed>');
  return `${object.kind ?? 'object'} ${ns ? `${ns}/` : ''}${name}`;
}

function at(object: unknown, path: readonly string[]): unknown {
  let node = object;
  for (const field of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[field];
  }
  return node;
}
