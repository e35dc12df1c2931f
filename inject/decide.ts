import type { V1Pod } from '@kubernetes/client-node';
import { KEYS, STATUS_INJECTED } from '../contract/keys.ts';
import { mergeAnnotations, resolveOptIn } from '../contract/opt-in.ts';
import { type Problem, type RawAnnotations, unknownKeyWarnings } from '../contract/policy.ts';
import { classicSidecarBlocksCompletion } from './jobs.ts';
import { addLogVolumeAndSidecar } from './mutate.ts';
import { SIDECAR_CONTAINER } from './names.ts';
import type { InjectionSkipReason } from './reasons.ts';
import { rememberedPolicy } from './remembered-policy.ts';
import type { SidecarImage, SidecarMode } from './sidecar-container.ts';

/** Everything `decide` knows beyond the pod itself; gathered by the caller, so decide stays pure. */
export interface DecideContext {
  namespace: string | undefined;
  /** Annotations of the owning workload (Deployment, CronJob, ...); `{}` when none or unknown. */
  workloadAnnotations: RawAnnotations;
  /** Cluster-wide defaults from the webhook's flags, keyed like annotations. */
  defaults: RawAnnotations;
  excludedNamespaces: ReadonlySet<string>;
  image: SidecarImage;
  mode: SidecarMode;
}

export type Decision =
  | { kind: 'inject'; pod: V1Pod; notes: string[]; warnings: string[] }
  | { kind: 'skip'; reasons: InjectionSkipReason[]; warnings: string[] }
  | { kind: 'invalid'; problems: Problem[]; warnings: string[] };

/**
 * The webhook's one decision: what to do with this pod. Pure: never mutates `pod`, no clock, no I/O.
 *
 * Where each setting comes from, key by key (the opt-in included):
 *
 *   pod (template) | top workload (context) | cluster default | result
 *   ---------------+------------------------+-----------------+------------------
 *   set            | any                    | any             | the pod's
 *   unset          | set                    | any             | the workload's
 *   unset          | unset                  | set             | the cluster's
 *   unset          | unset                  | unset           | the built-in one
 *
 * "Top workload" is the Deployment of a ReplicaSet, the CronJob of a Job (kube-owner-lookup.ts):
 * the copies a controller leaves on the objects between never count.
 */
export function decide(pod: V1Pod, context: DecideContext): Decision {
  if (isExcluded(context)) return skip('namespace_excluded');
  const podAnnotations: RawAnnotations = pod.metadata?.annotations ?? {};
  const optIn = resolveOptIn(podAnnotations, context.workloadAnnotations);
  if (optIn.kind === 'invalid') return { kind: 'invalid', problems: [optIn.problem], warnings: [] };
  const effective = mergeAnnotations(context.workloadAnnotations, podAnnotations);
  // A misspelt opt-in (`logward.io/injet`) reads as no opt-in: the suggestion is the only clue.
  if (optIn.kind === 'unset') return skip('not_opted_in', unknownKeyWarnings(effective));
  if (optIn.kind === 'out') return skip('opted_out');
  if (isInjected(pod)) return skip('already_injected');
  if (isWindows(pod)) return skip('windows_pod');

  const parsed = rememberedPolicy(effective, context.defaults);
  if (!parsed.ok) return { kind: 'invalid', problems: parsed.problems, warnings: parsed.warnings };
  if (!pod.spec?.containers?.length) return skip('no_containers', parsed.warnings);
  if (classicSidecarBlocksCompletion(pod, context.mode)) {
    return skip('classic_sidecar_blocks_job', parsed.warnings);
  }

  const result = addLogVolumeAndSidecar(pod, {
    policy: parsed.policy,
    effective: { ...context.defaults, ...effective },
    image: context.image,
    mode: context.mode,
  });
  if (!result.ok) return { kind: 'invalid', problems: result.problems, warnings: parsed.warnings };
  const status = podAnnotations[KEYS.status];
  const statusWarning =
    status === undefined
      ? []
      : [`${KEYS.status}: ${JSON.stringify(status)} is Logward's to write; it now says "${STATUS_INJECTED}"`];
  return {
    kind: 'inject',
    pod: result.pod,
    notes: result.notes,
    warnings: [...parsed.warnings, ...result.warnings, ...statusWarning],
  };
}

/**
 * Whether the owner's annotations could change what `decide` says, so the webhook asks the API
 * server only then: not for a pod in an excluded namespace, nor for one that says "false" for
 * itself (the pod wins), nor for one without a controlling owner.
 */
export function needsOwner(
  pod: V1Pod,
  context: Pick<DecideContext, 'namespace' | 'excludedNamespaces'>,
): boolean {
  if (isExcluded(context)) return false;
  if (pod.metadata?.annotations?.[KEYS.inject] === 'false') return false;
  return (pod.metadata?.ownerReferences ?? []).some((ref) => ref.controller);
}

function isExcluded({
  namespace,
  excludedNamespaces,
}: Pick<DecideContext, 'namespace' | 'excludedNamespaces'>) {
  return namespace !== undefined && excludedNamespaces.has(namespace);
}

export function isInjected(pod: V1Pod): boolean {
  if (pod.metadata?.annotations?.[KEYS.status] === STATUS_INJECTED) return true;
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  return containers.some((c) => c.name === SIDECAR_CONTAINER);
}

/** The sidecar is a Linux container: a Windows pod would be refused (spec.os) or never start. */
function isWindows(pod: V1Pod): boolean {
  return pod.spec?.os?.name === 'windows' || pod.spec?.nodeSelector?.['kubernetes.io/os'] === 'windows';
}

function skip(reason: InjectionSkipReason, warnings: string[] = []): Decision {
  return { kind: 'skip', reasons: [reason], warnings };
}
