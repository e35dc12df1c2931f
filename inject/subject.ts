import type { V1Pod } from '@kubernetes/client-node';
import type { RawAnnotations } from '../contract/policy.ts';
import type { ClusterContext } from './cluster-context.ts';
import { type Decision, decide } from './decide.ts';
import {
  describeObject,
  isWorkloadKind,
  type KubeObject,
  podTemplateOf,
  withPodTemplate,
  workloadAnnotationsOf,
} from './workloads.ts';

/** What a decision is about: a pod, or a workload's pod template standing for the pods it makes. */
export interface Subject {
  /** The pod, or the template as a pod (its metadata and spec). */
  pod: V1Pod;
  namespace: string | undefined;
  /**
   * The owning workload's annotations: for a template, the workload's own (both levels of a
   * CronJob); for a pod, `{}` until the webhook's owner lookup supplies them.
   */
  workloadAnnotations: RawAnnotations;
  /**
   * Its Namespace's annotations: `{}` until the caller supplies them (the webhook's namespace
   * cache, the Namespace documents `logward inject` reads); undefined when they could not be read.
   */
  namespaceAnnotations: RawAnnotations | undefined;
  /** The object has a controlling owner (a pod of a ReplicaSet, a ReplicaSet of a Deployment). */
  controlled: boolean;
  /** How messages name the object: `Deployment shop/web`. */
  name: string;
  /** The object with `pod` put back where it came from: the pod itself, or a copy with its template replaced. */
  withPod(pod: V1Pod): KubeObject;
}

/**
 * The one way from an object to what is decided: a v1 Pod is decided as itself, a workload
 * through its pod template with its own annotations as the owner's; anything else (or a
 * workload without a template) is not a subject. `kind` and `namespace` default to the
 * object's own; an admission request passes those it was sent for.
 */
export function subjectOf(
  object: KubeObject,
  kind: string | undefined = object.kind,
  namespace: string | undefined = undefined,
): Subject | undefined {
  const ns = namespace ?? object.metadata?.namespace;
  const common = {
    namespace: ns,
    namespaceAnnotations: {},
    controlled: (object.metadata?.ownerReferences ?? []).some((ref) => ref.controller),
    name: describeObject(object, ns),
  };
  if (kind === 'Pod' && (object.apiVersion ?? 'v1') === 'v1') {
    return { ...common, pod: object as V1Pod, workloadAnnotations: {}, withPod: (pod) => pod as KubeObject };
  }
  if (!isWorkloadKind(kind)) return undefined;
  const template = podTemplateOf(object, kind);
  if (!template) return undefined;
  return {
    ...common,
    pod: { metadata: template.metadata ?? {}, spec: template.spec } as V1Pod,
    workloadAnnotations: workloadAnnotationsOf(object, kind),
    withPod: (pod) => withPodTemplate(object, { metadata: pod.metadata, spec: pod.spec }, kind),
  };
}

/** `decide` for a subject: its pod, in its namespace, with its workload's and namespace's annotations. */
export function decideSubject(subject: Subject, cluster: ClusterContext): Decision {
  return decide(subject.pod, {
    ...cluster,
    namespace: subject.namespace,
    workloadAnnotations: subject.workloadAnnotations,
    namespaceAnnotations: subject.namespaceAnnotations,
  });
}
