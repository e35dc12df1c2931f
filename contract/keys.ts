// The only file that spells Logward's annotation keys. Everything else imports these names,
// so a renamed key is a one-line change and a typo is a type error.

export const PREFIX = 'logward.io/';

export const KEYS = {
  inject: 'logward.io/inject',
  logDir: 'logward.io/log-dir',
  containers: 'logward.io/containers',
  sizeLimit: 'logward.io/size-limit',
  maxTotalSize: 'logward.io/max-total-size',
  maxFileSize: 'logward.io/max-file-size',
  hardLimit: 'logward.io/hard-limit',
  maxAge: 'logward.io/max-age',
  maxFiles: 'logward.io/max-files',
  compress: 'logward.io/compress',
  compressLevel: 'logward.io/compress-level',
  closedAfter: 'logward.io/closed-after',
  schedule: 'logward.io/schedule',
  recursive: 'logward.io/recursive',
  include: 'logward.io/include',
  exclude: 'logward.io/exclude',
  sidecarCpuRequest: 'logward.io/sidecar-cpu-request',
  sidecarCpuLimit: 'logward.io/sidecar-cpu-limit',
  sidecarMemoryRequest: 'logward.io/sidecar-memory-request',
  sidecarMemoryLimit: 'logward.io/sidecar-memory-limit',
  sidecarRunAsUser: 'logward.io/sidecar-run-as-user',
  sidecarRunAsGroup: 'logward.io/sidecar-run-as-group',
  status: 'logward.io/status',
} as const;

export type KeyName = keyof typeof KEYS;
export type Key = (typeof KEYS)[KeyName];

export const ALL_KEYS: readonly Key[] = Object.values(KEYS);

/**
 * The keys the sidecar acts on, each also a sidecar flag of the same name. The webhook passes
 * their effective values as flags (so workload-level and cluster defaults reach the sidecar),
 * and the pod's annotations file overrides them live.
 */
export const SIDECAR_POLICY_KEYS: readonly Key[] = [
  KEYS.sizeLimit,
  KEYS.maxTotalSize,
  KEYS.maxFileSize,
  KEYS.hardLimit,
  KEYS.maxAge,
  KEYS.maxFiles,
  KEYS.compress,
  KEYS.compressLevel,
  KEYS.closedAfter,
  KEYS.schedule,
  KEYS.recursive,
  KEYS.include,
  KEYS.exclude,
];

/** The value the webhook writes under `KEYS.status` once a pod carries our volume and sidecar. */
export const STATUS_INJECTED = 'injected';

/** `logward.io/max-age` -> `max-age`: the sidecar's flags are named like the keys. */
export function shortName(key: Key): string {
  return key.slice(PREFIX.length);
}

export function isOurKey(name: string): boolean {
  return name.startsWith(PREFIX);
}
