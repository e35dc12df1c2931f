import type { V1Pod } from '@kubernetes/client-node';
import { KEYS, STATUS_INJECTED } from '../contract/keys.ts';
import { inheritedSettings, type Layers, ownSettings, settingsOf } from '../contract/layers.ts';
import { resolveOptIn } from '../contract/opt-in.ts';
import type { Problem, RawAnnotations } from '../contract/policy.ts';
import { unknownKeyWarnings } from '../contract/unknown-keys.ts';
import { classicSidecarBlocksCompletion } from './jobs.ts';
import { addLogVolumeAndSidecar } from './mutate.ts';
import { SIDECAR_CONTAINER } from './names.ts';
import type { InjectionSkipReason } from './reasons.ts';
import { rememberedDirectories } from './remembered-directories.ts';
import type { SidecarImage, SidecarMode } from './sidecar-container.ts';

/** Everything `decide` knows beyond the pod itself; gathered by the caller, so decide stays pure. */
export interface DecideContext {
  namespace: string | undefined;
  /** Annotations of the owning workload (Deployment, CronJob, ...); `{}` when none or unknown. */
  workloadAnnotations: RawAnnotations;
  /**
   * The Namespace's annotations (`{}` when it has none); undefined when the webhook could not
   * read it, and with it whether the namespace opts the pod in and which defaults it sets.
   */
  namespaceAnnotations: RawAnnotations | undefined;
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
 * Where each setting comes from, key by key (the opt-in included), is contract/layers.ts's
 * table: pod > workload > namespace > cluster default > built-in. "Workload" is the Deployment
 * of a ReplicaSet, the CronJob of a Job (kube-owner-lookup.ts): the copies a controller leaves
 * on the objects between never count.
 *
 * A Namespace the webhook could not read leaves the pod as if Logward were absent (skipped,
 * never refused): its annotations may opt the pod in or out, or set the defaults it would run
 * with, and a pod injected with the wrong size limit is worse than one left as it was.
 */
export function decide(pod: V1Pod, context: DecideContext): Decision {
  if (isExcluded(context)) return skip('namespace_excluded');
  const layers: Layers = {
    pod: pod.metadata?.annotations ?? {},
    workload: context.workloadAnnotations,
    namespace: context.namespaceAnnotations ?? {},
    cluster: context.defaults,
  };
  if (context.namespaceAnnotations === undefined) return withoutNamespace(layers);
  const optIn = resolveOptIn(layers);
  if (optIn.kind === 'invalid') return { kind: 'invalid', problems: [optIn.problem], warnings: [] };
  const own = ownSettings(layers);
  // A misspelt opt-in (`logward.io/injet`) reads as no opt-in: the suggestion is the only clue.
  if (optIn.kind === 'unset') return skip('not_opted_in', unknownKeyWarnings(own));
  if (optIn.kind === 'out') return skip('opted_out');
  if (isInjected(pod)) return skip('already_injected');
  if (isWindows(pod)) return skip('windows_pod');

  const parsed = rememberedDirectories(own, inheritedSettings(layers));
  if (!parsed.ok) return { kind: 'invalid', problems: parsed.problems, warnings: parsed.warnings };
  if (!pod.spec?.containers?.length) return skip('no_containers', parsed.warnings);
  if (classicSidecarBlocksCompletion(pod, context.mode)) {
    return skip('classic_sidecar_blocks_job', parsed.warnings);
  }

  const result = addLogVolumeAndSidecar(pod, {
    policy: parsed.policy,
    directories: parsed.directories,
    several: parsed.several,
    effective: settingsOf(layers),
    image: context.image,
    mode: context.mode,
  });
  if (!result.ok) return { kind: 'invalid', problems: result.problems, warnings: parsed.warnings };
  const status = layers.pod[KEYS.status];
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

/** The pod's own opt-out and a typo in its own opt-in still say what they say; else it waits for its namespace. */
function withoutNamespace(layers: Layers): Decision {
  const own = resolveOptIn({ pod: layers.pod, workload: layers.workload });
  if (own.kind === 'invalid') return { kind: 'invalid', problems: [own.problem], warnings: [] };
  if (own.kind === 'out') return skip('opted_out');
  return skip('namespace_unknown');
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

/**
 * Whether the Namespace's annotations could change what `decide` says, so the webhook looks it
 * up only then: not for a pod in an excluded namespace, nor for one that says "false" for itself.
 */
export function needsNamespace(
  pod: V1Pod,
  context: Pick<DecideContext, 'namespace' | 'excludedNamespaces'>,
): boolean {
  if (isExcluded(context) || context.namespace === undefined) return false;
  return pod.metadata?.annotations?.[KEYS.inject] !== 'false';
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
