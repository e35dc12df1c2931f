import type { V1ObjectMeta, V1PodTemplateSpec } from '@kubernetes/client-node';
import type { RawAnnotations } from '../contract/policy.ts';

/** Any Kubernetes object as it arrives in JSON: we read only apiVersion, kind and metadata. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ObjectMeta;
  spec?: unknown;
  [field: string]: unknown;
}

/**
 * Where each workload kind keeps its pod template. A Pod is its own template; a CronJob's is
 * two levels down. One table serves the validating webhook and `logward inject`.
 */
const TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

export const WORKLOAD_KINDS: readonly string[] = Object.keys(TEMPLATE_PATHS);

export function isWorkloadKind(kind: string | undefined): boolean {
  return kind !== undefined && kind in TEMPLATE_PATHS;
}

/** The pod template of a workload, or undefined when the kind has none or it is missing. */
export function podTemplateOf(object: KubeObject): V1PodTemplateSpec | undefined {
  const path = TEMPLATE_PATHS[object.kind ?? ''];
  if (!path) return undefined;
  let node: unknown = object;
  for (const field of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[field];
  }
  return node !== null && typeof node === 'object' ? (node as V1PodTemplateSpec) : undefined;
}

/** Returns a copy of `object` whose pod template is `template`. */
export function withPodTemplate<T extends KubeObject>(object: T, template: V1PodTemplateSpec): T {
  const path = TEMPLATE_PATHS[object.kind ?? ''];
  if (!path) throw new Error(`kind ${object.kind} has no pod template`);
  const copy = structuredClone(object);
  let node = copy as Record<string, unknown>;
  for (const field of path.slice(0, -1)) node = node[field] as Record<string, unknown>;
  node[path[path.length - 1]!] = template;
  return copy;
}

/** A CronJob's pods are owned by Jobs made from its jobTemplate, so both levels count. */
export function workloadAnnotationsOf(object: KubeObject): RawAnnotations {
  const own = object.metadata?.annotations ?? {};
  if (object.kind !== 'CronJob') return own;
  const jobTemplate = (
    object.spec as { jobTemplate?: { metadata?: { annotations?: Record<string, string> } } } | undefined
  )?.jobTemplate;
  return { ...own, ...(jobTemplate?.metadata?.annotations ?? {}) };
}

/** `Deployment shop/web`: how messages name an object. */
export function describeObject(object: Pick<KubeObject, 'kind' | 'metadata'>, namespace?: string): string {
  const ns = object.metadata?.namespace ?? namespace;
  const name =
    object.metadata?.name ??
    (object.metadata?.generateName ? `${object.metadata.generateName}*` : '<unnamed>');
  return `${object.kind ?? 'object'} ${ns ? `${ns}/` : ''}${name}`;
}
