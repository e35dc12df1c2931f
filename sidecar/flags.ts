// `logward sidecar` flags. Every policy knob has a flag named like its annotation without the
// `logward.io/` prefix; their values go, keyed by the full annotation key, to the same contract
// parser the webhook uses, as the fallback under the pod's annotations.
import { UsageError } from '../base/errors.ts';
import { KEYS, rowOf, shortName } from '../contract/keys.ts';
import { parseQuantity } from '../contract/quantity.ts';
import { flagOf, flagUsage, SIDECAR_POLICY_KEYS, sidecarFlagOptions } from '../contract/sidecar-flags.ts';
import { SIDECAR_METRICS_PORT as DEFAULT_METRICS_PORT } from '../contract/sidecar-port.ts';
import { type DirectoryArg, parseDirFlags } from './dir-flags.ts';

// Not `import { parseArgs } from 'node:util'`: an ES module import of a built-in evaluates every
// export, and node:util's lazy ones load streams, worker_threads and more, resident in every pod.
const { parseArgs } = process.getBuiltinModule('node:util');

export interface SidecarArgs {
  help: boolean;
  /** The one directory of a plain `--dir`; undefined when `directories` says. */
  dir: string | undefined;
  /** Several directories (`--dir` repeated, or with settings of its own): dir-flags.ts. */
  directories: DirectoryArg[] | undefined;
  annotationsFile: string | undefined;
  once: boolean;
  dryRun: boolean;
  metricsPort: number;
  /**
   * The log volume's real sizeLimit, passed by the webhook. Not an annotation: the pod's
   * annotations file cannot raise it, because kubelet evicts at this limit whatever they say.
   */
  volumeSizeLimit: string | undefined;
  /** Policy flags given, keyed by annotation key: the parser's fallback. */
  policyFlags: Record<string, string>;
}

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  dir: { type: 'string', multiple: true },
  'annotations-file': { type: 'string' },
  once: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  'metrics-port': { type: 'string' },
  'volume-size-limit': { type: 'string' },
  ...sidecarFlagOptions(),
} as const;

export function parseSidecarArgs(args: string[]): SidecarArgs {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: OPTIONS as never,
      strict: true,
      allowPositionals: false,
      allowNegative: true,
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}; run \`logward sidecar --help\` for the flags`);
  }
  const policyFlags: Record<string, string> = {};
  for (const key of SIDECAR_POLICY_KEYS) {
    const value = values[shortName(key)];
    if (value !== undefined) policyFlags[key] = String(value);
  }
  const portText = values['metrics-port'];
  let metricsPort = DEFAULT_METRICS_PORT;
  if (typeof portText === 'string') {
    metricsPort = /^\d+$/.test(portText) ? Number(portText) : Number.NaN;
    if (!(metricsPort >= 0 && metricsPort <= 65535)) {
      throw new UsageError(
        `--metrics-port: ${JSON.stringify(portText)} is not a port; use a whole number from 0 to 65535`,
      );
    }
  }
  const volumeSizeLimit = values['volume-size-limit'] as string | undefined;
  if (volumeSizeLimit !== undefined && !((parseQuantity(volumeSizeLimit) ?? 0) > 0)) {
    throw new UsageError(
      `--volume-size-limit: ${JSON.stringify(volumeSizeLimit)} is not a positive Kubernetes quantity; use e.g. 512Mi or 2Gi`,
    );
  }
  const directories = parseDirFlags(values.dir as string[] | undefined);
  return {
    help: values.help === true,
    volumeSizeLimit,
    dir: directories === undefined ? (values.dir as string[] | undefined)?.[0] : undefined,
    directories,
    annotationsFile: values['annotations-file'] as string | undefined,
    once: values.once === true,
    dryRun: values['dry-run'] === true,
    metricsPort,
    policyFlags,
  };
}

/** The contract's messages name annotation keys; for flags, name the flags instead. */
export function inFlagTerms(message: string): string {
  let text = message;
  for (const key of [...SIDECAR_POLICY_KEYS, KEYS.logDir])
    text = text.replaceAll(key, key === KEYS.logDir ? '--dir' : flagOf(key));
  return text;
}

export function helpText(): string {
  const rows: [string, string][] = [
    ['--dir DIR', 'the log directory to keep under budget (the volume as the sidecar sees it)'],
    [
      '--dir DIR:name=value;...',
      'repeated: several directories, each under its own budget; names are policy flags, app-dir (its name in logs and metrics) and volume-size-limit',
    ],
    ['--annotations-file FILE', "the pod's annotations (downward API); watched, changes apply live"],
    ['--once', 'run one full sweep and exit'],
    ['--dry-run', 'print the plan of one sweep as JSON lines and change nothing (implies --once)'],
    [
      '--volume-size-limit QUANTITY',
      "the log volume's real sizeLimit (the webhook sets it); the budget stays below it whatever the annotations say",
    ],
    [
      '--metrics-port N',
      `serve /metrics and /healthz on this port (default: ${DEFAULT_METRICS_PORT}; 0 picks one)`,
    ],
  ];
  for (const key of SIDECAR_POLICY_KEYS) {
    const row = rowOf(key);
    const fallback = row.default ?? row.defaultText ?? '-';
    rows.push([
      flagUsage(key, row.example),
      `${row.meaning.replaceAll('`', '')} (default: ${fallback.replaceAll('`', '')})`,
    ]);
  }
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return [
    'Usage: logward sidecar --dir DIR [--annotations-file FILE] [--once] [--dry-run] [--metrics-port N] [policy flags]',
    '',
    'Keeps a log directory under its budget: compresses closed files, caps live files without',
    'losing lines, and deletes the oldest rotated files. Annotations in --annotations-file win',
    'over flags, flags over the built-in defaults.',
    '',
    'Flags:',
    ...rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`),
    '',
  ].join('\n');
}
