// The log volumes of a pod: for each log directory, a size-limited emptyDir (or the one the app
// already mounts there, when it qualifies), mounted at the directory in the selected containers
// and, for the sidecar, at a path of its own. One directory (`log-dir`) keeps the sidecar's
// fixed path; several (`log-dirs`) get one path each, and their order is the annotation's.
import type { V1Container, V1EmptyDirVolumeSource, V1PodSpec, V1VolumeMount } from '@kubernetes/client-node';
import type { DirectoryPolicy } from '../contract/directories.ts';
import { KEYS, type Key } from '../contract/keys.ts';
import type { Policy, Problem } from '../contract/policy.ts';
import { cleanMountPath, existingLogVolume } from './log-volume.ts';
import { LOGS_VOLUME, SIDECAR_LOGS_PATH, uniqueName } from './names.ts';

/** A log directory as the sidecar gets it. */
export interface SidecarDirectory {
  /** The sidecar's own mount of the volume. */
  mount: V1VolumeMount;
  /** Where the app sees it: the directory's name in the sidecar's logs and metrics. */
  appDir: string;
  /** The sizeLimit kubelet enforces on the volume (ours, or an adopted emptyDir's). */
  sizeLimit: string;
  overrides: Readonly<Partial<Record<Key, string>>>;
}

export type LogVolumesResult =
  | {
      ok: true;
      directories: SidecarDirectory[];
      /** The first directory's first container: whose user the sidecar runs as. */
      app: V1Container;
      notes: string[];
      warnings: string[];
    }
  | { ok: false; problems: Problem[] };

/**
 * Adds the log volumes and the app's mounts to `spec`, in place and append-only. `spec`'s volume
 * and container lists and its containers must be the caller's own; volumes may be shared.
 */
export function addLogVolumes(
  spec: V1PodSpec,
  directories: readonly DirectoryPolicy[],
  several: boolean,
  volumeNames: Set<string>,
): LogVolumesResult {
  const notes: string[] = [];
  const warnings: string[] = [];
  const problems: Problem[] = [];
  const result: SidecarDirectory[] = [];
  const adopted = new Map<string, string>();
  let app: V1Container | undefined;
  const key = several ? KEYS.logDirs : KEYS.logDir;

  for (const [i, { policy, overrides }] of directories.entries()) {
    const selected = selectContainers(spec, policy);
    if (!selected.ok) {
      // A directory's own `containers` is an entry of log-dirs: the message names it.
      const own = overrides[KEYS.containers] !== undefined;
      for (const problem of selected.problems) {
        problems.push(
          own
            ? {
                ...problem,
                key: KEYS.logDirs,
                message: `${KEYS.logDirs} entry ${JSON.stringify(policy.logDir)}: ${problem.message}`,
              }
            : problem,
        );
      }
      continue;
    }
    const targets = selected.containers;
    app ??= targets[0];
    const sidecarPath = several ? `${SIDECAR_LOGS_PATH}-${i + 1}` : SIDECAR_LOGS_PATH;
    // policy.logDir is clean (contract/log-dir.ts); mounts are compared in the same spelling.
    const logDir = policy.logDir;
    const existing = existingLogVolume(spec, targets, logDir, key);
    if (existing.kind === 'refuse') {
      problems.push(existing.problem);
      continue;
    }
    spec.volumes ??= [];
    if (existing.kind === 'adopt') {
      const { mount } = existing;
      const other = adopted.get(mount.name);
      if (other !== undefined) {
        problems.push({
          key,
          value: logDir,
          message: `${key}: ${JSON.stringify(other)} and ${JSON.stringify(logDir)} are both on volume "${mount.name}": two budgets cannot share one size limit; give each directory a volume of its own, or list one of them`,
        });
        continue;
      }
      adopted.set(mount.name, logDir);
      notes.push(`reused volume "${mount.name}" that container "${existing.container}" mounts at ${logDir}`);
      // The adopted volume may get a sizeLimit: a copy of it takes the original's place, which
      // the review's pod still holds.
      const emptyDir = { ...existing.emptyDir };
      spec.volumes[spec.volumes.indexOf(existing.volume)] = { ...existing.volume, emptyDir };
      const sizeLimit = adoptVolume(existing.volume.name, emptyDir, policy, notes, warnings);
      for (const container of targets) {
        if (!(container.volumeMounts ?? []).some((m) => cleanMountPath(m.mountPath) === logDir)) {
          addMount(container, { ...mount });
        }
      }
      const sidecarMount = withoutUndefined({
        name: mount.name,
        mountPath: sidecarPath,
        subPath: mount.subPath,
        subPathExpr: mount.subPathExpr,
      });
      result.push({ mount: sidecarMount, appDir: logDir, sizeLimit, overrides });
    } else {
      warnings.push(...existing.warnings);
      const name = uniqueName(LOGS_VOLUME, volumeNames);
      volumeNames.add(name);
      spec.volumes.push({ name, emptyDir: { sizeLimit: policy.sizeLimit } });
      for (const container of targets) addMount(container, { name, mountPath: logDir });
      result.push({
        mount: { name, mountPath: sidecarPath },
        appDir: logDir,
        sizeLimit: policy.sizeLimit,
        overrides,
      });
    }
  }
  if (problems.length > 0 || app === undefined) return { ok: false, problems };
  return { ok: true, directories: result, app, notes, warnings };
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

function addMount(container: V1Container, mount: V1VolumeMount): void {
  container.volumeMounts = [...(container.volumeMounts ?? []), mount];
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
