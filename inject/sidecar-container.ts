import type { V1Container, V1SecurityContext } from '@kubernetes/client-node';
import { KEYS, shortName } from '../contract/keys.ts';
import { DIRECTORY_FLAG_NAMES, formatEntry } from '../contract/log-dirs.ts';
import type { Policy, RawAnnotations } from '../contract/policy.ts';
import { SIDECAR_POLICY_KEYS, sidecarFlagArgs } from '../contract/sidecar-flags.ts';
import type { SidecarDirectory } from './log-volumes.ts';
import { ANNOTATIONS_FILE, METRICS_PORT_NAME, SIDECAR_ANNOTATIONS_DIR, SIDECAR_CONTAINER } from './names.ts';

export type SidecarMode = 'native' | 'classic';

export interface SidecarImage {
  image: string;
  pullPolicy: 'Always' | 'IfNotPresent' | 'Never';
}

export interface SidecarParts {
  image: SidecarImage;
  mode: SidecarMode;
  policy: Policy;
  /** Effective raw values (workload, pod, cluster defaults merged) for the flags. */
  effective: RawAnnotations;
  /**
   * The log volumes. Each one's sizeLimit (ours, or that of a volume we reuse) is passed as its
   * own flag, which the pod's annotations file cannot override: the sidecar budgets below it
   * whatever they say.
   */
  directories: readonly SidecarDirectory[];
  /** Declared with `log-dirs`: each directory a `--dir` with its app path and overrides. */
  several: boolean;
  annotationsVolume: string;
  metricsPort: number;
  runAsUser: number;
  runAsGroup: number;
}

export function sidecarContainer(parts: SidecarParts): V1Container {
  const { policy, directories } = parts;
  const single = parts.several ? undefined : directories[0];
  const flags = SIDECAR_POLICY_KEYS.flatMap((key) => {
    const value = key === KEYS.sizeLimit && single ? single.sizeLimit : parts.effective[key];
    return value === undefined ? [] : sidecarFlagArgs(key, value);
  });
  const requests = compact({ cpu: policy.sidecar.cpuRequest, memory: policy.sidecar.memoryRequest });
  const limits = compact({ cpu: policy.sidecar.cpuLimit, memory: policy.sidecar.memoryLimit });
  const container: V1Container = {
    name: SIDECAR_CONTAINER,
    image: parts.image.image,
    imagePullPolicy: parts.image.pullPolicy,
    args: [
      'sidecar',
      ...(single ? [`--dir=${single.mount.mountPath}`] : directories.map(directoryFlag)),
      `--annotations-file=${SIDECAR_ANNOTATIONS_DIR}/${ANNOTATIONS_FILE}`,
      `--metrics-port=${parts.metricsPort}`,
      ...flags,
      ...(single ? [`--volume-size-limit=${single.sizeLimit}`] : []),
    ],
    env: [
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
    ],
    resources: compact({ requests, limits }),
    securityContext: restrictedSecurityContext(parts.runAsUser, parts.runAsGroup),
    volumeMounts: [
      ...directories.map((dir) => ({ ...dir.mount })),
      { name: parts.annotationsVolume, mountPath: SIDECAR_ANNOTATIONS_DIR, readOnly: true },
    ],
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
  if (parts.metricsPort > 0)
    container.ports = [{ name: METRICS_PORT_NAME, containerPort: parts.metricsPort }];
  // restartPolicy on an init container is what makes it a native sidecar (Kubernetes >= 1.29).
  if (parts.mode === 'native') container.restartPolicy = 'Always';
  return container;
}

/** `--dir=/var/logward/logs-2:app-dir=/app/gc;volume-size-limit=256Mi;max-age=1d` */
function directoryFlag(dir: SidecarDirectory): string {
  const overrides = SIDECAR_POLICY_KEYS.flatMap((key) => {
    const value = dir.overrides[key];
    return value === undefined ? [] : [[shortName(key), value] as const];
  });
  return `--dir=${formatEntry(dir.mount.mountPath, [
    [DIRECTORY_FLAG_NAMES.appDir, dir.appDir],
    [DIRECTORY_FLAG_NAMES.volumeSizeLimit, dir.sizeLimit],
    ...overrides,
  ])}`;
}

/** Passes Pod Security `restricted`, with a read-only root: the sidecar writes only to the log volume. */
function restrictedSecurityContext(runAsUser: number, runAsGroup: number): V1SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser,
    runAsGroup,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Drops undefined entries; undefined when none is left, so the field is omitted altogether. */
function compact<V>(record: Record<string, V | undefined>): Record<string, V> | undefined {
  let kept: Record<string, V> | undefined;
  for (const key in record) {
    const value = record[key];
    if (value === undefined) continue;
    kept ??= {};
    kept[key] = value;
  }
  return kept;
}
