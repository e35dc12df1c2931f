// The annotation contract as one table: one row per key, saying what it is (its kind, which
// picks its parser in kinds.ts), its built-in default, an example, what it means, who reads it
// and whether admins may default it cluster-wide. Everything else derives from the table or is
// checked against it by a test: the keys, the built-in defaults, the parser, the README's table,
// `--help`, the sidecar's flags, the webhook's `--default-*` flags and the chart's `defaults`.
// It is the only file that spells a `logward.io/` name; everything else imports these, so a
// renamed key is a one-line change and a typo is a type error.
import { CODEC_NAMES, CODECS, COMPRESSIONS, DEFAULT_CODEC } from './codecs.ts';
import type { Kind } from './kinds.ts';
import { alternatives } from './text.ts';

export const PREFIX = 'logward.io/';

/**
 * Who acts on a key: the webhook as it builds the pod, the sidecar as it keeps the directory.
 * A key the sidecar reads is also a sidecar flag of the key's name (sidecar-flags.ts): the
 * webhook passes effective values as flags, and the pod's annotations file overrides them.
 */
export type Reader = 'webhook' | 'sidecar';

export interface KeyRow {
  key: `logward.io/${string}`;
  kind: Kind;
  /** The built-in value, under the annotation and the cluster default; none where it depends on the pod. */
  default?: string;
  /** The documentation's words for the default, where the built-in value alone does not say it. */
  defaultText?: string;
  example: string;
  meaning: string;
  readBy: readonly Reader[];
  /** Admins may set it for the whole cluster: `logward webhook --default-<name>`, the chart's `defaults`. */
  defaultable: boolean;
  /** The accepted form a refusal suggests (`use e.g. ...`), where the kind's own does not fit. */
  hint?: string;
}

const TABLE = {
  inject: {
    key: 'logward.io/inject',
    kind: 'opt-in',
    defaultText: 'off',
    example: 'true',
    meaning: '"true" opts the workload in, "false" opts it out',
    readBy: ['webhook'],
    defaultable: false,
  },
  logDir: {
    key: 'logward.io/log-dir',
    kind: 'path',
    defaultText: '`--default-log-dir`, else required',
    example: '/log',
    meaning: "absolute path of the app's log directory",
    readBy: ['webhook'],
    defaultable: true,
  },
  logDirs: {
    key: 'logward.io/log-dirs',
    kind: 'log-dirs',
    defaultText: '-',
    example: '/var/log/nginx,/app/gc:size-limit=256Mi;max-age=1d',
    meaning:
      'instead of `log-dir`: a comma list of log directories, each its own volume and budget; `:key=value;...` after a path sets that directory apart',
    readBy: ['webhook'],
    defaultable: false,
  },
  containers: {
    key: 'logward.io/containers',
    kind: 'container-names',
    defaultText: 'all app containers',
    example: 'app,worker',
    meaning: 'comma list of containers that get the log volume mounted',
    readBy: ['webhook'],
    defaultable: true,
  },
  sizeLimit: {
    key: 'logward.io/size-limit',
    kind: 'quantity',
    default: '1Gi',
    defaultText: '`--default-size-limit` (1Gi)',
    example: '2Gi',
    meaning: '`emptyDir.sizeLimit` of the log volume; kubelet evicts the pod above it',
    readBy: ['webhook', 'sidecar'],
    defaultable: true,
  },
  maxTotalSize: {
    key: 'logward.io/max-total-size',
    kind: 'percent-or-quantity',
    default: '80%',
    example: '1500Mi',
    meaning: 'retention budget for the whole directory: a quantity, or a percent of size-limit',
    readBy: ['sidecar'],
    defaultable: true,
  },
  maxFileSize: {
    key: 'logward.io/max-file-size',
    kind: 'percent-or-quantity',
    default: '10%',
    example: '100Mi',
    meaning: 'a live file above this is capped: its oldest part moves to a rotated file',
    readBy: ['sidecar'],
    defaultable: true,
  },
  hardLimit: {
    key: 'logward.io/hard-limit',
    kind: 'percent-or-quantity',
    default: '95%',
    example: '98%',
    meaning: 'usage at which the sidecar caps the largest live file as a last resort',
    readBy: ['sidecar'],
    defaultable: true,
  },
  maxAge: {
    key: 'logward.io/max-age',
    kind: 'duration',
    default: '7d',
    example: '12h',
    meaning: 'rotated files older than this are deleted',
    readBy: ['sidecar'],
    defaultable: true,
    hint: '12h or 7d',
  },
  maxFiles: {
    key: 'logward.io/max-files',
    kind: 'count',
    default: '10',
    example: '30',
    meaning: 'rotated files kept per log stream',
    readBy: ['sidecar'],
    defaultable: true,
    hint: '10 (0 keeps no rotated files)',
  },
  compress: {
    key: 'logward.io/compress',
    kind: 'codec',
    default: DEFAULT_CODEC,
    example: CODEC_NAMES.find((codec) => codec !== DEFAULT_CODEC) ?? DEFAULT_CODEC,
    meaning: alternatives(COMPRESSIONS.map((name) => `\`${name}\``)),
    readBy: ['sidecar'],
    defaultable: true,
  },
  compressLevel: {
    key: 'logward.io/compress-level',
    kind: 'level',
    defaultText: CODEC_NAMES.map((codec) => `${CODECS[codec].defaultLevel} for ${codec}`).join(', '),
    example: '9',
    meaning: `compression level: ${CODEC_NAMES.map((codec) => `${CODECS[codec].levels.min}-${CODECS[codec].levels.max} for ${codec}`).join(', ')}`,
    readBy: ['sidecar'],
    defaultable: true,
  },
  closedAfter: {
    key: 'logward.io/closed-after',
    kind: 'duration',
    default: '5m',
    example: '10m',
    meaning: 'idle time after which a file that is not the newest of its stream counts as closed',
    readBy: ['sidecar'],
    defaultable: true,
    hint: '5m or 30s',
  },
  schedule: {
    key: 'logward.io/schedule',
    kind: 'cron',
    default: '* * * * *',
    defaultText: '`* * * * *` (every minute)',
    example: '*/30 * * * * *',
    meaning: 'cron schedule of the full sweep (5 fields, or 6 with seconds); file events act at once',
    readBy: ['sidecar'],
    defaultable: true,
  },
  recursive: {
    key: 'logward.io/recursive',
    kind: 'bool',
    default: 'false',
    example: 'true',
    meaning: 'also manage files in subdirectories of the log directory',
    readBy: ['sidecar'],
    defaultable: true,
  },
  include: {
    key: 'logward.io/include',
    kind: 'globs',
    default: '*.log,*.log.*,*.out,*.out.*,*.err,*.err.*',
    defaultText: '`*.log,*.log.*,*.out,*.out.*,*.err,*.err.*`',
    example: '*.log,*.txt,access_log*',
    meaning:
      'comma list of globs (relative to the log directory) naming the files that are logs; nothing else is ever touched',
    readBy: ['sidecar'],
    defaultable: true,
  },
  exclude: {
    key: 'logward.io/exclude',
    kind: 'globs',
    default: '*.lck,*.lock,*.pid',
    defaultText: '`*.lck,*.lock,*.pid`',
    example: '*.lck,debug/**',
    meaning: 'comma list of globs of files never touched, even when `include` matches them',
    readBy: ['sidecar'],
    defaultable: true,
  },
  sidecarCpuRequest: {
    key: 'logward.io/sidecar-cpu-request',
    kind: 'cpu',
    default: '10m',
    example: '50m',
    meaning: "the sidecar's CPU request",
    readBy: ['webhook'],
    defaultable: true,
  },
  sidecarCpuLimit: {
    key: 'logward.io/sidecar-cpu-limit',
    kind: 'cpu',
    default: '1',
    example: 'none',
    meaning: "the sidecar's CPU limit (`none` for no limit)",
    readBy: ['webhook'],
    defaultable: true,
  },
  sidecarMemoryRequest: {
    key: 'logward.io/sidecar-memory-request',
    kind: 'memory',
    default: '64Mi',
    example: '96Mi',
    meaning: "the sidecar's memory request",
    readBy: ['webhook'],
    defaultable: true,
  },
  sidecarMemoryLimit: {
    key: 'logward.io/sidecar-memory-limit',
    kind: 'memory',
    default: '160Mi',
    example: '256Mi',
    meaning: "the sidecar's memory limit (`none` for no limit)",
    readBy: ['webhook'],
    defaultable: true,
  },
  sidecarRunAsUser: {
    key: 'logward.io/sidecar-run-as-user',
    kind: 'id',
    defaultText: "the app container's runAsUser, else 65532",
    example: '1000',
    meaning: 'uid the sidecar runs as; set it to the uid that writes the logs so live files can be capped',
    readBy: ['webhook'],
    defaultable: true,
  },
  sidecarRunAsGroup: {
    key: 'logward.io/sidecar-run-as-group',
    kind: 'id',
    defaultText: "the app container's runAsGroup, else the uid",
    example: '1000',
    meaning: 'gid the sidecar runs as',
    readBy: ['webhook'],
    defaultable: true,
  },
  status: {
    key: 'logward.io/status',
    kind: 'status',
    defaultText: '-',
    example: 'injected',
    meaning: 'written by the webhook: `injected` once the pod carries the volume and sidecar',
    readBy: ['webhook'],
    defaultable: false,
  },
} as const satisfies Record<string, KeyRow>;

type Table = typeof TABLE;
/** A key's name in the table: `maxAge` (also its name in the chart's `defaults`). */
export type KeyName = keyof Table;
export type Key = Table[KeyName]['key'];
/** The kind of the row named `N`, for types derived from the table (kinds.ts). */
export type KindOf<N extends KeyName> = Table[N]['kind'];

export const KEYS = Object.fromEntries(Object.entries(TABLE).map(([name, row]) => [name, row.key])) as {
  readonly [N in KeyName]: Table[N]['key'];
};

/** The rows in the table's order (the documentation's, and the sidecar flags' on a pod). */
export const ROWS: readonly (KeyRow & { key: Key; name: KeyName })[] = Object.entries(TABLE).map(
  ([name, row]) => ({ ...row, name: name as KeyName }),
);

export const ALL_KEYS: readonly Key[] = ROWS.map((row) => row.key);

const BY_KEY = new Map<string, (typeof ROWS)[number]>(ROWS.map((row) => [row.key, row]));

export function rowOf(key: Key): KeyRow {
  return BY_KEY.get(key)!;
}

/** The keys admins may default cluster-wide (`--default-<name>`, the chart's `defaults`). */
export const DEFAULTABLE_KEYS: readonly Key[] = ROWS.filter((row) => row.defaultable).map((row) => row.key);

/**
 * The keys a Namespace's annotations may set for its pods (layers.ts): those admins may default,
 * and the opt-in, so that one annotation opts in every pod of the namespace.
 */
export const NAMESPACE_KEYS: readonly Key[] = [KEYS.inject, ...DEFAULTABLE_KEYS];

/**
 * The Namespace label that sends every pod of the namespace to the webhook, and, with the scope
 * `namespaces`, the only pods it is sent. A label rather than an annotation: a webhook's
 * namespaceSelector reads labels only, and its matchConditions cannot see the Namespace at all.
 */
export const ENABLED_LABEL = { key: 'logward.io/enabled', value: 'true' } as const;

/** What applies where neither the annotation nor a cluster default (or a sidecar flag) says. */
export const BUILTIN_DEFAULTS: Readonly<Partial<Record<Key, string>>> = Object.fromEntries(
  ROWS.flatMap((row) => (row.default === undefined ? [] : [[row.key, row.default]])),
);

export interface KeyReference {
  key: Key;
  default: string;
  example: string;
  meaning: string;
}

/** Each key as the README's annotation table states it (a test checks the README row for row). */
export const REFERENCE: readonly KeyReference[] = ROWS.map((row) => ({
  key: row.key,
  default: row.defaultText ?? row.default ?? '-',
  example: row.example,
  meaning: row.meaning,
}));

/** The value the webhook writes under `KEYS.status` once a pod carries our volume and sidecar. */
export const STATUS_INJECTED = 'injected';

/** `logward.io/max-age` -> `max-age`: the sidecar's flags are named like the keys. */
export function shortName(key: Key): string {
  return key.slice(PREFIX.length);
}

export function isOurKey(name: string): boolean {
  return name.startsWith(PREFIX);
}
