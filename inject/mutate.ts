import type { V1Container, V1Pod, V1PodSpec } from '@kubernetes/client-node';
import type { DirectoryPolicy } from '../contract/directories.ts';
import { KEYS, STATUS_INJECTED } from '../contract/keys.ts';
import type { Policy, Problem, RawAnnotations } from '../contract/policy.ts';
import { SIDECAR_METRICS_PORT } from '../contract/sidecar-port.ts';
import { addLogVolumes } from './log-volumes.ts';
import { ANNOTATIONS_FILE, ANNOTATIONS_VOLUME, FALLBACK_UID, uniqueName } from './names.ts';
import { type SidecarImage, type SidecarMode, sidecarContainer } from './sidecar-container.ts';

export interface MutationInput {
  /** The settings the pod shares (with `log-dirs`, its first directory's policy). */
  policy: Policy;
  /** Each log directory's policy; the policy's own directory when not given. */
  directories?: readonly DirectoryPolicy[];
  /** Declared with `log-dirs`: a sidecar path and a metrics label per directory. */
  several?: boolean;
  effective: RawAnnotations;
  image: SidecarImage;
  mode: SidecarMode;
}

export type MutationResult =
  | { ok: true; pod: V1Pod; notes: string[]; warnings: string[] }
  | { ok: false; problems: Problem[] };

/**
 * `pod` with the log volumes, their mounts, the annotations volume and the sidecar added; `pod`
 * itself is left untouched. Append-only by design: every change adds an array element or a
 * missing object key, so the JSON Patch diffed from it contains nothing but `add` operations.
 *
 * Only the objects on the way to a change are copied (the pod, its metadata and annotations,
 * its spec, the volume and container lists and the containers; log-volumes.ts copies a volume
 * it adopts); everything else is shared with `pod`. A review's pod can be large (env, probes,
 * managed fields): copying all of it and then diffing all of it was most of what a review cost,
 * and the diff skips what is shared by identity.
 */
export function addLogVolumeAndSidecar(original: V1Pod, input: MutationInput): MutationResult {
  const { policy } = input;
  const pod = writableCopy(original);
  const spec = pod.spec as V1PodSpec;
  const notes: string[] = [];
  const warnings: string[] = [];

  spec.volumes ??= [];
  const volumeNames = new Set(spec.volumes.map((v) => v.name));
  const volumes = addLogVolumes(
    spec,
    input.directories ?? [{ policy, overrides: {} }],
    input.several ?? false,
    volumeNames,
  );
  if (!volumes.ok) return volumes;
  notes.push(...volumes.notes);
  warnings.push(...volumes.warnings);

  const annotationsVolume = uniqueName(ANNOTATIONS_VOLUME, volumeNames);
  spec.volumes.push({
    name: annotationsVolume,
    downwardAPI: { items: [{ path: ANNOTATIONS_FILE, fieldRef: { fieldPath: 'metadata.annotations' } }] },
  });

  const identity = sidecarIdentity(spec, volumes.app, policy);
  if (identity.note) notes.push(identity.note);
  const metricsPort = chooseMetricsPort(spec);
  if (metricsPort === 0)
    notes.push(
      'the sidecar serves metrics on an ephemeral port: the pod uses the host network, where a fixed port could collide',
    );

  const sidecar = sidecarContainer({
    image: input.image,
    mode: input.mode,
    policy,
    effective: input.effective,
    directories: volumes.directories,
    several: input.several ?? false,
    annotationsVolume,
    metricsPort,
    runAsUser: identity.uid,
    runAsGroup: identity.gid,
  });
  if (input.mode === 'native') spec.initContainers = [...(spec.initContainers ?? []), sidecar];
  else spec.containers.push(sidecar);

  pod.metadata!.annotations![KEYS.status] = STATUS_INJECTED;
  return { ok: true, pod, notes, warnings };
}

/** `pod` with fresh copies of the objects addLogVolumeAndSidecar writes to, sharing the rest. */
function writableCopy(pod: V1Pod): V1Pod {
  const spec = pod.spec as V1PodSpec;
  return {
    ...pod,
    metadata: { ...pod.metadata, annotations: { ...pod.metadata?.annotations } },
    spec: {
      ...spec,
      containers: spec.containers.map((container) => ({ ...container })),
      ...(spec.volumes ? { volumes: [...spec.volumes] } : {}),
    },
  };
}

/**
 * The sidecar runs as the user that writes the logs so it can cap live files. Root is never an
 * option (Pod Security restricted), so an unknown or root app user gets the fallback uid: closed
 * files can still be compressed and deleted (the emptyDir is world-writable), live ones maybe not.
 */
function sidecarIdentity(
  spec: V1PodSpec,
  app: V1Container,
  policy: Policy,
): { uid: number; gid: number; note?: string } {
  const appUid = app.securityContext?.runAsUser ?? spec.securityContext?.runAsUser;
  const appGid = app.securityContext?.runAsGroup ?? spec.securityContext?.runAsGroup;
  const uid = policy.sidecar.runAsUser ?? (appUid ? appUid : undefined);
  if (uid === undefined) {
    return {
      uid: FALLBACK_UID,
      gid: policy.sidecar.runAsGroup ?? (appGid ? appGid : FALLBACK_UID),
      note: `the app's user is ${appUid === 0 ? 'root' : 'unknown'}, so the sidecar runs as ${FALLBACK_UID} and may be unable to cap live files; set ${KEYS.sidecarRunAsUser} to the uid that writes the logs`,
    };
  }
  return { uid, gid: policy.sidecar.runAsGroup ?? (appGid ? appGid : uid) };
}

/** Containers of a pod share one network namespace: pick a port no container declares. */
function chooseMetricsPort(spec: V1PodSpec): number {
  if (spec.hostNetwork) return 0;
  const used = new Set(
    [...spec.containers, ...(spec.initContainers ?? [])].flatMap((c) =>
      (c.ports ?? []).map((p) => p.containerPort),
    ),
  );
  let port = SIDECAR_METRICS_PORT;
  while (used.has(port)) port++;
  return port;
}
