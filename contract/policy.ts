// What users write (annotations: strings, all optional) into the policy both halves act on
// (numbers and durations, every field filled in), in four steps: each key parsed by its kind
// (kinds.ts), sizes resolved against the size limit (sizes.ts), checks across keys
// (cross-field.ts), then the policy assembled. Every problem is collected, each naming the key,
// the value and the accepted form, so one `kubectl apply` shows all of them.
import type { Compression } from './codecs.ts';
import { checkAcrossKeys } from './cross-field.ts';
import { BUILTIN_DEFAULTS, KEYS, type Key, ROWS } from './keys.ts';
import { isSettingKind, KINDS, type KindInput, type SettingsRead } from './kinds.ts';
import { resolveSizes, type Sizes } from './sizes.ts';
import { unknownKeyWarnings } from './unknown-keys.ts';

/** What users write: annotation values, all strings, all optional. */
export type RawAnnotations = Readonly<Record<string, string | undefined>>;

/** The sidecar container's knobs; `undefined` resources mean "no limit" (`none`). */
export interface SidecarSettings {
  cpuRequest: string | undefined;
  cpuLimit: string | undefined;
  memoryRequest: string | undefined;
  memoryLimit: string | undefined;
  runAsUser: number | undefined;
  runAsGroup: number | undefined;
}

/** The parsed policy: numbers and durations, every field filled in. */
export interface Policy {
  logDir: string;
  /** Containers that get the mount; `undefined` means every app container. */
  containers: readonly string[] | undefined;
  /** The quantity exactly as written, for `emptyDir.sizeLimit`. */
  sizeLimit: string;
  sizeLimitBytes: number;
  maxTotalBytes: number;
  maxFileBytes: number;
  hardLimitBytes: number;
  maxAgeMs: number;
  maxFiles: number;
  compress: Compression;
  compressLevel: number;
  closedAfterMs: number;
  schedule: string;
  recursive: boolean;
  /** Globs of the files that are logs (relative names); everything else is never touched. */
  include: readonly string[];
  /** Globs of files never touched even when `include` matches them. */
  exclude: readonly string[];
  sidecar: SidecarSettings;
  /**
   * Every setting as its kind parsed it, by its row's name in keys.ts: a key added to the table
   * reaches its consumer here with no change to this file. Sizes are as written (a share is a
   * share); the resolved byte counts are the fields above.
   */
  settings: Readonly<SettingsRead>;
}

export interface ParseOptions {
  /**
   * The `sizeLimit` the log volume really has, when the sidecar knows it (the webhook passes it
   * as a flag). kubelet evicts at that limit, so it bounds what the annotations ask for.
   */
  volumeSizeLimit?: string | undefined;
}

export interface Problem {
  key: string;
  value: string | undefined;
  message: string;
  /** The other key of a cross-field problem (a budget above the size limit), whose value counts too. */
  with?: string;
}

export type ParseResult =
  | { ok: true; policy: Policy; warnings: string[] }
  | { ok: false; problems: Problem[]; warnings: string[] };

/**
 * Reads every policy key from `raw`, falling back to `fallback` (cluster defaults given to the
 * webhook, or the sidecar's flags) and then to the built-in defaults.
 */
export function parsePolicy(
  raw: RawAnnotations,
  fallback: RawAnnotations = {},
  options: ParseOptions = {},
): ParseResult {
  const inForce = (key: Key): string | undefined => raw[key] ?? fallback[key] ?? BUILTIN_DEFAULTS[key];
  const problems: Problem[] = [];
  const warnings = unknownKeyWarnings(raw);
  const report = (key: Key, message: string, other?: Key) =>
    problems.push({ key, value: inForce(key), message, ...(other ? { with: other } : {}) });

  const settings = readSettings(inForce, report);
  const sizes = resolveSizes(
    settings,
    (name) => inForce(KEYS[name]),
    options.volumeSizeLimit,
    (warning) => warnings.push(warning),
  );
  checkAcrossKeys(settings, sizes, {
    problem: report,
    warn: (warning) => warnings.push(warning),
    quoted: (key) => `${key}: ${JSON.stringify(inForce(key))}`,
  });
  if (problems.length > 0) return { ok: false, problems, warnings };
  return { ok: true, warnings, policy: assemble(settings, sizes, inForce) };
}

/** Each setting by its kind's parser, in the table's order (a level follows its codec). */
function readSettings(
  inForce: (key: Key) => string | undefined,
  report: (key: Key, message: string) => void,
): SettingsRead {
  const settings: Record<string, unknown> = {};
  for (const row of ROWS) {
    if (!isSettingKind(row.kind)) continue;
    // The row's kind picks the parser; the value lands under the row's name, which has that kind.
    const parse = KINDS[row.kind] as (input: KindInput) => unknown;
    const value = parse({
      key: row.key,
      text: inForce(row.key),
      hint: row.hint ?? row.example,
      earlier: settings as SettingsRead,
      problem: (message) => report(row.key, message),
    });
    if (value !== undefined) settings[row.name] = value;
  }
  return settings as SettingsRead;
}

/** The policy from settings that all parsed: only called when no problem was found. */
function assemble(settings: SettingsRead, sizes: Sizes, inForce: (key: Key) => string | undefined): Policy {
  return {
    logDir: settings.logDir!,
    containers: settings.containers,
    sizeLimit: (inForce(KEYS.sizeLimit) ?? '').trim(),
    sizeLimitBytes: sizes.sizeLimit!,
    maxTotalBytes: sizes.maxTotalSize!,
    maxFileBytes: sizes.maxFileSize!,
    hardLimitBytes: sizes.hardLimit!,
    maxAgeMs: settings.maxAge!,
    maxFiles: settings.maxFiles!,
    compress: settings.compress!,
    compressLevel: settings.compressLevel!,
    closedAfterMs: settings.closedAfter!,
    schedule: settings.schedule!,
    recursive: settings.recursive!,
    include: settings.include!,
    exclude: settings.exclude!,
    sidecar: {
      cpuRequest: settings.sidecarCpuRequest,
      cpuLimit: settings.sidecarCpuLimit,
      memoryRequest: settings.sidecarMemoryRequest,
      memoryLimit: settings.sidecarMemoryLimit,
      runAsUser: settings.sidecarRunAsUser,
      runAsGroup: settings.sidecarRunAsGroup,
    },
    settings,
  };
}

export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => p.message).join('; ');
}
