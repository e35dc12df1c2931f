import type { V1Container, V1SecurityContext, V1VolumeMount } from '@kubernetes/client-node';
import { KEYS, SIDECAR_POLICY_KEYS, shortName } from '../contract/keys.ts';
import type { Policy, RawAnnotations } from '../contract/policy.ts';
import {
  ANNOTATIONS_FILE,
  METRICS_PORT_NAME,
  SIDECAR_ANNOTATIONS_DIR,
  SIDECAR_CONTAINER,
  SIDECAR_LOGS_PATH,
} from './names.ts';

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
  /** The volume's real sizeLimit when we reuse a volume that has one. */
  sizeLimit: string;
  /**
   * The sizeLimit kubelet enforces on the log volume, if any. Passed as its own flag, which the
   * pod's annotations file cannot override: the sidecar budgets below it whatever they say.
   */
  volumeSizeLimit: string | undefined;
  logsMount: V1VolumeMount;
  annotationsVolume: string;
  metricsPort: number;
  runAsUser: number;
  runAsGroup: number;
}

export function sidecarContainer(parts: SidecarParts): V1Container {
  const { policy } = parts;
  const flags = SIDECAR_POLICY_KEYS.flatMap((key) => {
    const value = key === KEYS.sizeLimit ? parts.sizeLimit : parts.effective[key];
    if (value === undefined) return [];
    // A boolean flag takes no value: `--recursive` or `--no-recursive`.
    if (key === KEYS.recursive) return [value === 'true' ? '--recursive' : '--no-recursive'];
    return [`--${shortName(key)}=${value}`];
  });
  const requests = compact({ cpu: policy.sidecar.cpuRequest, memory: policy.sidecar.memoryRequest });
  const limits = compact({ cpu: policy.sidecar.cpuLimit, memory: policy.sidecar.memoryLimit });
  const container: V1Container = {
    name: SIDECAR_CONTAINER,
    image: parts.image.image,
    imagePullPolicy: parts.image.pullPolicy,
    args: [
      'sidecar',
      `--dir=${SIDECAR_LOGS_PATH}`,
      `--annotations-file=${SIDECAR_ANNOTATIONS_DIR}/${ANNOTATIONS_FILE}`,
      `--metrics-port=${parts.metricsPort}`,
      ...flags,
      ...(parts.volumeSizeLimit === undefined ? [] : [`--volume-size-limit=${parts.volumeSizeLimit}`]),
    ],
    env: [
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'POD_UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
    ],
    resources: compact({ requests, limits }),
    securityContext: restrictedSecurityContext(parts.runAsUser, parts.runAsGroup),
    volumeMounts: [
      { ...parts.logsMount },
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
