import { KEYS, type Key } from './keys.ts';

// What each key means, its default and an example: the README's annotation table and
// `--help` are checked against this list so the documentation cannot drift from the parser.

export interface KeyReference {
  key: Key;
  default: string;
  example: string;
  meaning: string;
}

export const BUILTIN_DEFAULTS: Readonly<Partial<Record<Key, string>>> = {
  [KEYS.sizeLimit]: '1Gi',
  [KEYS.maxTotalSize]: '80%',
  [KEYS.maxFileSize]: '10%',
  [KEYS.hardLimit]: '95%',
  [KEYS.maxAge]: '7d',
  [KEYS.maxFiles]: '10',
  [KEYS.compress]: 'gzip',
  [KEYS.closedAfter]: '5m',
  [KEYS.schedule]: '* * * * *',
  [KEYS.recursive]: 'false',
  [KEYS.include]: '*.log,*.log.*,*.out,*.out.*,*.err,*.err.*',
  [KEYS.exclude]: '*.lck,*.lock,*.pid',
  [KEYS.sidecarCpuRequest]: '10m',
  [KEYS.sidecarCpuLimit]: '1',
  [KEYS.sidecarMemoryRequest]: '64Mi',
  [KEYS.sidecarMemoryLimit]: '160Mi',
};

export const REFERENCE: readonly KeyReference[] = [
  {
    key: KEYS.inject,
    default: 'off',
    example: 'true',
    meaning: '"true" opts the workload in, "false" opts it out',
  },
  {
    key: KEYS.logDir,
    default: '`--default-log-dir`, else required',
    example: '/log',
    meaning: "absolute path of the app's log directory",
  },
  {
    key: KEYS.containers,
    default: 'all app containers',
    example: 'app,worker',
    meaning: 'comma list of containers that get the log volume mounted',
  },
  {
    key: KEYS.sizeLimit,
    default: '`--default-size-limit` (1Gi)',
    example: '2Gi',
    meaning: '`emptyDir.sizeLimit` of the log volume; kubelet evicts the pod above it',
  },
  {
    key: KEYS.maxTotalSize,
    default: '80%',
    example: '1500Mi',
    meaning: 'retention budget for the whole directory: a quantity, or a percent of size-limit',
  },
  {
    key: KEYS.maxFileSize,
    default: '10%',
    example: '100Mi',
    meaning: 'a live file above this is capped: its oldest part moves to a rotated file',
  },
  {
    key: KEYS.hardLimit,
    default: '95%',
    example: '98%',
    meaning: 'usage at which the sidecar caps the largest live file as a last resort',
  },
  { key: KEYS.maxAge, default: '7d', example: '12h', meaning: 'rotated files older than this are deleted' },
  { key: KEYS.maxFiles, default: '10', example: '30', meaning: 'rotated files kept per log stream' },
  { key: KEYS.compress, default: 'gzip', example: 'zstd', meaning: '`gzip`, `zstd` or `none`' },
  {
    key: KEYS.compressLevel,
    default: '6 for gzip, 3 for zstd',
    example: '9',
    meaning: 'compression level: 1-9 for gzip, 1-19 for zstd',
  },
  {
    key: KEYS.closedAfter,
    default: '5m',
    example: '10m',
    meaning: 'idle time after which a file that is not the newest of its stream counts as closed',
  },
  {
    key: KEYS.schedule,
    default: '`* * * * *` (every minute)',
    example: '*/30 * * * * *',
    meaning: 'cron schedule of the full sweep (5 fields, or 6 with seconds); file events act at once',
  },
  {
    key: KEYS.recursive,
    default: 'false',
    example: 'true',
    meaning: 'also manage files in subdirectories of the log directory',
  },
  {
    key: KEYS.include,
    default: '`*.log,*.log.*,*.out,*.out.*,*.err,*.err.*`',
    example: '*.log,*.txt,access_log*',
    meaning:
      'comma list of globs (relative to the log directory) naming the files that are logs; nothing else is ever touched',
  },
  {
    key: KEYS.exclude,
    default: '`*.lck,*.lock,*.pid`',
    example: '*.lck,debug/**',
    meaning: 'comma list of globs of files never touched, even when `include` matches them',
  },
  { key: KEYS.sidecarCpuRequest, default: '10m', example: '50m', meaning: "the sidecar's CPU request" },
  {
    key: KEYS.sidecarCpuLimit,
    default: '1',
    example: 'none',
    meaning: "the sidecar's CPU limit (`none` for no limit)",
  },
  {
    key: KEYS.sidecarMemoryRequest,
    default: '64Mi',
    example: '96Mi',
    meaning: "the sidecar's memory request",
  },
  {
    key: KEYS.sidecarMemoryLimit,
    default: '160Mi',
    example: '256Mi',
    meaning: "the sidecar's memory limit (`none` for no limit)",
  },
  {
    key: KEYS.sidecarRunAsUser,
    default: "the app container's runAsUser, else 65532",
    example: '1000',
    meaning: 'uid the sidecar runs as; set it to the uid that writes the logs so live files can be capped',
  },
  {
    key: KEYS.sidecarRunAsGroup,
    default: "the app container's runAsGroup, else the uid",
    example: '1000',
    meaning: 'gid the sidecar runs as',
  },
  {
    key: KEYS.status,
    default: '-',
    example: 'injected',
    meaning: 'written by the webhook: `injected` once the pod carries the volume and sidecar',
  },
];
