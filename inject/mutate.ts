import type {
  V1Container,
  V1EmptyDirVolumeSource,
  V1Pod,
  V1PodSpec,
  V1VolumeMount,
} from '@kubernetes/client-node';
import { KEYS, STATUS_INJECTED } from '../contract/keys.ts';
import type { Policy, Problem, RawAnnotations } from '../contract/policy.ts';
import { SIDECAR_METRICS_PORT } from '../contract/sidecar-port.ts';
import { cleanMountPath, existingLogVolume } from './log-volume.ts';
import {
  ANNOTATIONS_FILE,
  ANNOTATIONS_VOLUME,
  FALLBACK_UID,
  LOGS_VOLUME,
  SIDECAR_LOGS_PATH,
  uniqueName,
} from './names.ts';
import { type SidecarImage, type SidecarMode, sidecarContainer } from './sidecar-container.ts';

export interface MutationInput {
  policy: Policy;
  effective: RawAnnotations;
  image: SidecarImage;
  mode: SidecarMode;
}

export type MutationResult =
  | { ok: true; pod: V1Pod; notes: string[]; warnings: string[] }
  | { ok: false; problems: Problem[] };

/**
 * `pod` with the log volume, its mounts, the annotations volume and the sidecar added; `pod`
 * itself is left untouched. Append-only by design: every change adds an array element or a
 * missing object key, so the JSON Patch diffed from it contains nothing but `add` operations.
 *
 * Only the objects on the way to a change are copied (the pod, its metadata and annotations,
 * its spec, the volume and container lists and the containers); everything else is shared with
 * `pod`. A review's pod can be large (env, probes, managed fields): copying all of it and then
 * diffing all of it was most of what a review cost, and the diff skips what is shared by identity.
 */
export function addLogVolumeAndSidecar(original: V1Pod, input: MutationInput): MutationResult {
  const { policy } = input;
  const pod = writableCopy(original);
  const spec = pod.spec as V1PodSpec;
  const notes: string[] = [];
  const warnings: string[] = [];

  const selected = selectContainers(spec, policy);
  if (!selected.ok) return selected;
  const targets = selected.containers;

  // policy.logDir is clean (contract/log-dir.ts); mounts are compared in the same spelling.
  const logDir = policy.logDir;
  const existing = existingLogVolume(spec, targets, logDir);
  if (existing.kind === 'refuse') return { ok: false, problems: [existing.problem] };

  spec.volumes ??= [];
  const volumeNames = new Set(spec.volumes.map((v) => v.name));
  // The limit kubelet enforces on the volume (ours, or the one an adopted emptyDir already had):
  // the sidecar budgets below it.
  let sizeLimit = policy.sizeLimit;
  let logsMount: V1VolumeMount;
  if (existing.kind === 'adopt') {
    const { mount } = existing;
    logsMount = withoutUndefined({
      name: mount.name,
      mountPath: SIDECAR_LOGS_PATH,
      subPath: mount.subPath,
      subPathExpr: mount.subPathExpr,
    });
    notes.push(`reused volume "${mount.name}" that container "${existing.container}" mounts at ${logDir}`);
    // The adopted volume may get a sizeLimit: a copy of it takes the original's place.
    const emptyDir = { ...existing.emptyDir };
    spec.volumes[spec.volumes.indexOf(existing.volume)] = { ...existing.volume, emptyDir };
    sizeLimit = adoptVolume(existing.volume.name, emptyDir, policy, notes, warnings);
    for (const container of targets) {
      if (!(container.volumeMounts ?? []).some((m) => cleanMountPath(m.mountPath) === logDir)) {
        addMount(container, { ...mount });
      }
    }
  } else {
    warnings.push(...existing.warnings);
    const name = uniqueName(LOGS_VOLUME, volumeNames);
    volumeNames.add(name);
    spec.volumes.push({ name, emptyDir: { sizeLimit: policy.sizeLimit } });
    logsMount = { name, mountPath: SIDECAR_LOGS_PATH };
    for (const container of targets) addMount(container, { name, mountPath: logDir });
  }

  const annotationsVolume = uniqueName(ANNOTATIONS_VOLUME, volumeNames);
  spec.volumes.push({
    name: annotationsVolume,
    downwardAPI: { items: [{ path: ANNOTATIONS_FILE, fieldRef: { fieldPath: 'metadata.annotations' } }] },
  });

  const identity = sidecarIdentity(spec, targets[0]!, policy);
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
    sizeLimit,
    volumeSizeLimit: sizeLimit,
    logsMount,
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

function selectContainers(
  spec: V1PodSpec,
  policy: Policy,
): { ok: true; containers: V1Container[] } | { ok: false; problems: Problem[] } {
  if (!policy.containers) return { ok: true, containers: spec.containers };
  const byName = new Map(spec.containers.map((c) => [c.name, c]));
  const unknown = policy.containers.filter((name) => !byName.has(name));
  if (unknown.length > 0) {
    const value = policy.containers.join(',');
    return {
      ok: false,
      problems: [
        {
          key: KEYS.containers,
          value,
          message: `${KEYS.containers}: ${JSON.stringify(value)} names ${unknown.map((n) => JSON.stringify(n)).join(', ')}, not a container of this pod; use some of ${[...byName.keys()].join(', ')}`,
        },
      ],
    };
  }
  return { ok: true, containers: policy.containers.map((name) => byName.get(name)!) };
}

/** Gives an adopted emptyDir our sizeLimit if it has none; returns the sizeLimit in force. */
function adoptVolume(
  name: string,
  emptyDir: V1EmptyDirVolumeSource,
  policy: Policy,
  notes: string[],
  warnings: string[],
): string {
  const current = emptyDir.sizeLimit;
  if (current === undefined) {
    emptyDir.sizeLimit = policy.sizeLimit;
    notes.push(`set sizeLimit ${policy.sizeLimit} on emptyDir "${name}"`);
    return policy.sizeLimit;
  }
  if (current !== policy.sizeLimit) {
    warnings.push(
      `emptyDir "${name}" already has sizeLimit ${current}; Logward keeps it and budgets against it instead of ${policy.sizeLimit}`,
    );
  }
  return String(current);
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

function addMount(container: V1Container, mount: V1VolumeMount): void {
  container.volumeMounts = [...(container.volumeMounts ?? []), mount];
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
