import type {
  V1Container,
  V1EmptyDirVolumeSource,
  V1PodSpec,
  V1Volume,
  V1VolumeMount,
} from '@kubernetes/client-node';
import { KEYS, type Key } from '../contract/keys.ts';
import type { Problem } from '../contract/policy.ts';

/** What the selected containers already have at `log-dir`. */
export type ExistingLogVolume =
  | { kind: 'none'; warnings: string[] }
  | {
      kind: 'adopt';
      container: string;
      mount: V1VolumeMount;
      volume: V1Volume;
      emptyDir: V1EmptyDirVolumeSource;
    }
  | { kind: 'refuse'; problem: Problem };

/**
 * Decides whether a volume the app already mounts at `log-dir` may become the log volume. The
 * sidecar gets it read-write and compresses, caps and deletes what it holds, so only an emptyDir
 * on the node's disk qualifies: a hostPath is the node's own files, a PVC outlives the pod and
 * may be shared, configMap/secret/projected/downwardAPI volumes are not logs, an emptyDir in
 * memory counts against the pod's memory rather than its disk, and a read-only mount is one the
 * app was not meant to write to.
 */
export function existingLogVolume(
  spec: V1PodSpec,
  targets: readonly V1Container[],
  logDir: string,
  /** The key that named the directory: `log-dir`, or `log-dirs` for one of several. */
  key: Key = KEYS.logDir,
): ExistingLogVolume {
  const refuse = (why: string): ExistingLogVolume => ({
    kind: 'refuse',
    problem: {
      key,
      value: logDir,
      message: `${key}: ${JSON.stringify(logDir)} ${why}; Logward manages only an emptyDir on the node's disk, because its sidecar compresses and deletes the files there: point ${key} at a directory of its own`,
    },
  });

  const atLogDir = targets.flatMap((container) =>
    (container.volumeMounts ?? [])
      .filter((mount) => cleanMountPath(mount.mountPath) === logDir)
      .map((mount) => ({ container: container.name, mount })),
  );
  if (atLogDir.length === 0) return { kind: 'none', warnings: enclosingMountWarnings(targets, logDir, key) };

  const [first] = atLogDir as [(typeof atLogDir)[number], ...typeof atLogDir];
  const differing = atLogDir.find(
    ({ mount }) =>
      mount.name !== first.mount.name ||
      mount.subPath !== first.mount.subPath ||
      mount.subPathExpr !== first.mount.subPathExpr,
  );
  if (differing) {
    return refuse(
      `is where containers "${first.container}" and "${differing.container}" mount different volumes ("${first.mount.name}", "${differing.mount.name}")`,
    );
  }
  const readOnly = atLogDir.find(({ mount }) => mount.readOnly);
  if (readOnly) {
    return refuse(
      `is where container "${readOnly.container}" mounts volume "${readOnly.mount.name}" read-only`,
    );
  }
  const where = `is where container "${first.container}" mounts volume "${first.mount.name}"`;
  const volume = (spec.volumes ?? []).find((v) => v.name === first.mount.name);
  if (!volume) return refuse(`${where}, which the pod does not define`);
  const { emptyDir } = volume;
  if (!emptyDir) {
    const type = volumeType(volume);
    return refuse(`${where}, a${/^[aeiou]/.test(type) ? 'n' : ''} ${type} volume`);
  }
  if (emptyDir.medium) {
    return refuse(
      `${where}, an emptyDir with medium ${emptyDir.medium} (its files count against the pod's memory, not its disk)`,
    );
  }
  return { kind: 'adopt', container: first.container, mount: first.mount, volume, emptyDir };
}

/** One or more `/segment`, none of them empty or `.` (`..` is a name here, as cleanMountPath keeps it). */
const CLEAN_PATH = /^(?:\/(?!\.(?:\/|$))[^/]+)+$/;

/** `/log/`, `//log` and `/log/.` are one mount point to the container runtime: one spelling here. */
export function cleanMountPath(path: string): string {
  // Almost every mount path is written clean already: checked once instead of rebuilt.
  if (CLEAN_PATH.test(path)) return path;
  return `/${path
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .join('/')}`;
}

/** A new mount inside another volume hides that volume's files at log-dir: worth saying. */
function enclosingMountWarnings(targets: readonly V1Container[], logDir: string, key: Key): string[] {
  return targets.flatMap((container) =>
    (container.volumeMounts ?? [])
      .filter((mount) => {
        const path = cleanMountPath(mount.mountPath);
        return path !== '/' && logDir.startsWith(`${path}/`);
      })
      .map(
        (mount) =>
          `${key} ${logDir} is inside volume "${mount.name}" that container "${container.name}" mounts at ${cleanMountPath(mount.mountPath)}: the log volume hides what "${mount.name}" holds at ${logDir}`,
      ),
  );
}

function volumeType(volume: V1Volume): string {
  return Object.keys(volume).find((key) => key !== 'name') ?? 'unknown';
}
