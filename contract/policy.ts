import { validate as isCronExpression } from 'node-cron';
import { CODECS, COMPRESSIONS, type Compression, isCompression } from './codecs.ts';
import { parseDuration } from './duration.ts';
import { parseGlobList } from './globs.ts';
import { ALL_KEYS, isOurKey, KEYS, type Key, PREFIX } from './keys.ts';
import { checkLogDir } from './log-dir.ts';
import { formatBytes, parseQuantity } from './quantity.ts';
import { BUILTIN_DEFAULTS } from './reference.ts';

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

const CPU = /^(\d+(?:\.\d+)?|\.\d+)m?$/;
const CONTAINER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const PERCENT = /^(\d+(?:\.\d+)?)%$/;
const BARE_NUMBER = /^\d+$/;
const MI = 2 ** 20;

/** The default share of the size limit for each relative size, used when a volume is smaller. */
const DEFAULT_SHARE: Readonly<Partial<Record<Key, number>>> = {
  [KEYS.maxTotalSize]: 80,
  [KEYS.maxFileSize]: 10,
  [KEYS.hardLimit]: 95,
};

/**
 * Reads every policy key from `raw`, falling back to `fallback` (cluster defaults given to the
 * webhook, or the sidecar's flags) and then to the built-in defaults. Collects every problem
 * rather than stopping at the first, so one `kubectl apply` shows all of them.
 */
export function parsePolicy(
  raw: RawAnnotations,
  fallback: RawAnnotations = {},
  options: ParseOptions = {},
): ParseResult {
  const problems: Problem[] = [];
  const warnings: string[] = [];
  const value = (key: Key): string | undefined => raw[key] ?? fallback[key] ?? BUILTIN_DEFAULTS[key];
  const problem = (key: Key, message: string, other?: Key) =>
    problems.push({ key, value: value(key), message, ...(other ? { with: other } : {}) });
  const quoted = (key: Key) => `${key}: ${JSON.stringify(value(key))}`;

  warnings.push(...unknownKeyWarnings(raw));

  const logDirText = value(KEYS.logDir);
  let logDir: string | undefined;
  if (logDirText === undefined || logDirText === '') {
    problem(
      KEYS.logDir,
      `${KEYS.logDir} is required (no default log directory is configured); use e.g. /log`,
    );
  } else {
    const checked = checkLogDir(logDirText);
    if (checked.ok) logDir = checked.path;
    else
      problem(
        KEYS.logDir,
        `${quoted(KEYS.logDir)} ${checked.reason}; use the directory the app logs into, e.g. /log or /var/log/app`,
      );
  }

  let containers: string[] | undefined;
  const containersText = value(KEYS.containers);
  if (containersText !== undefined && containersText.trim() !== '') {
    // Listed twice is meant once: mounting the volume twice would get every pod refused.
    containers = [...new Set(containersText.split(',').map((name) => name.trim()))];
    const bad = containers.filter((name) => !CONTAINER_NAME.test(name));
    if (bad.length > 0) {
      problem(
        KEYS.containers,
        `${quoted(KEYS.containers)} is not a comma list of container names (${bad.map((b) => JSON.stringify(b)).join(', ')} invalid); use e.g. app,worker`,
      );
    }
  }

  // "2" is a valid quantity of two bytes and almost certainly a forgotten unit: a budget of two
  // bytes would empty every live file. A bare number is taken only from 1Mi up.
  const withoutUnit = (key: Key, bytes: number | undefined): boolean => {
    const text = (value(key) ?? '').trim();
    if (bytes === undefined || !BARE_NUMBER.test(text) || bytes >= MI) return false;
    problem(key, `${quoted(key)} has no unit and is under 1Mi; write the unit, e.g. 2Gi or 512Mi`);
    return true;
  };

  const sizeLimit = value(KEYS.sizeLimit) ?? '';
  const askedLimitBytes = parseQuantity(sizeLimit);
  if (askedLimitBytes === undefined || askedLimitBytes <= 0) {
    problem(
      KEYS.sizeLimit,
      `${quoted(KEYS.sizeLimit)} is not a positive Kubernetes quantity; use e.g. 512Mi or 2Gi`,
    );
  } else {
    withoutUnit(KEYS.sizeLimit, askedLimitBytes);
  }
  // The volume's own limit, when smaller, is the one kubelet enforces: budget against it.
  const volumeBytes =
    options.volumeSizeLimit === undefined ? undefined : parseQuantity(options.volumeSizeLimit);
  const shrunk = volumeBytes !== undefined && askedLimitBytes !== undefined && volumeBytes < askedLimitBytes;
  const sizeLimitBytes = shrunk ? volumeBytes : askedLimitBytes;
  const smallerVolume = `the volume's sizeLimit ${options.volumeSizeLimit?.trim()} is below ${quoted(KEYS.sizeLimit)}; the sidecar budgets against ${formatBytes(sizeLimitBytes ?? 0)}`;
  let shrunkWarned = false;

  const relativeSize = (key: Key): number | undefined => {
    const text = value(key) ?? '';
    const percent = PERCENT.exec(text.trim());
    if (percent) {
      const share = Number(percent[1]);
      if (share <= 0 || share > 100) {
        problem(key, `${quoted(key)} is not a percent between 0 and 100 of ${KEYS.sizeLimit}; use e.g. 80%`);
        return undefined;
      }
      return sizeLimitBytes === undefined ? undefined : Math.floor((sizeLimitBytes * share) / 100);
    }
    const bytes = parseQuantity(text);
    if (bytes === undefined || bytes <= 0) {
      problem(
        key,
        `${quoted(key)} is not a Kubernetes quantity or a percent of ${KEYS.sizeLimit}; use e.g. 800Mi or 80%`,
      );
      return bytes;
    }
    if (withoutUnit(key, bytes)) return undefined;
    // A quantity chosen for the larger limit the annotation names takes its default share of
    // the smaller one instead, so the budget keeps its shape below the limit kubelet enforces.
    const share = DEFAULT_SHARE[key];
    if (shrunk && share !== undefined && bytes > (sizeLimitBytes! * share) / 100) {
      warnings.push(`${smallerVolume}, and ${quoted(key)} becomes ${share}% of it`);
      shrunkWarned = true;
      return Math.floor((sizeLimitBytes! * share) / 100);
    }
    return bytes;
  };
  const maxTotalBytes = relativeSize(KEYS.maxTotalSize);
  const maxFileBytes = relativeSize(KEYS.maxFileSize);
  const hardLimitBytes = relativeSize(KEYS.hardLimit);
  if (shrunk && !shrunkWarned) warnings.push(smallerVolume);

  const duration = (key: Key, example: string): number | undefined => {
    const ms = parseDuration(value(key) ?? '');
    if (ms === undefined) problem(key, `${quoted(key)} is not a duration; use e.g. ${example}`);
    return ms;
  };
  const maxAgeMs = duration(KEYS.maxAge, '12h or 7d');
  const closedAfterMs = duration(KEYS.closedAfter, '5m or 30s');

  const maxFilesText = value(KEYS.maxFiles) ?? '';
  const maxFiles = /^\d+$/.test(maxFilesText.trim()) ? Number(maxFilesText) : undefined;
  if (maxFiles === undefined) {
    problem(
      KEYS.maxFiles,
      `${quoted(KEYS.maxFiles)} is not a whole number; use e.g. 10 (0 keeps no rotated files)`,
    );
  }

  const compressText = (value(KEYS.compress) ?? '').trim();
  const compress = isCompression(compressText) ? compressText : undefined;
  if (compress === undefined)
    problem(KEYS.compress, `${quoted(KEYS.compress)} is not supported; use ${alternatives(COMPRESSIONS)}`);

  let compressLevel = compress === undefined || compress === 'none' ? 0 : CODECS[compress].defaultLevel;
  const levelText = value(KEYS.compressLevel);
  if (levelText !== undefined && compress !== undefined && compress !== 'none') {
    const range = CODECS[compress].levels;
    const level = /^\d+$/.test(levelText.trim()) ? Number(levelText) : Number.NaN;
    if (!(level >= range.min && level <= range.max)) {
      problem(
        KEYS.compressLevel,
        `${quoted(KEYS.compressLevel)} is not a ${compress} level; use a whole number from ${range.min} to ${range.max}`,
      );
    } else {
      compressLevel = level;
    }
  }

  const schedule = (value(KEYS.schedule) ?? '').trim();
  if (!isValidSchedule(schedule)) {
    problem(
      KEYS.schedule,
      `${quoted(KEYS.schedule)} is not a cron expression; use e.g. "* * * * *" or "*/30 * * * * *"`,
    );
  }

  const recursive = boolean(KEYS.recursive, value(KEYS.recursive), problem);
  const globs = (key: Key): string[] | undefined => {
    const text = value(key) ?? '';
    if (text.trim() === '') return [];
    const parsed = parseGlobList(text);
    if (parsed.ok) return parsed.patterns;
    problem(
      key,
      `${quoted(key)} ${parsed.reason}; use a comma list of globs relative to the log directory, e.g. *.log,*.log.*`,
    );
    return undefined;
  };
  const include = globs(KEYS.include);
  const exclude = globs(KEYS.exclude);

  const cpu = (key: Key): string | undefined => {
    const text = (value(key) ?? 'none').trim();
    if (text === 'none') return undefined;
    if (!CPU.test(text)) problem(key, `${quoted(key)} is not a CPU quantity; use e.g. 100m or 1, or none`);
    return text;
  };
  const memory = (key: Key): string | undefined => {
    const text = (value(key) ?? 'none').trim();
    if (text === 'none') return undefined;
    if (parseQuantity(text) === undefined) {
      problem(key, `${quoted(key)} is not a memory quantity; use e.g. 64Mi or 256Mi, or none`);
    }
    return text;
  };
  const id = (key: Key): number | undefined => {
    const text = value(key);
    if (text === undefined) return undefined;
    const n = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
    if (!(n >= 1 && n <= 2 ** 31 - 1)) {
      problem(key, `${quoted(key)} is not a non-root numeric id; use a whole number from 1, e.g. 1000`);
      return undefined;
    }
    return n;
  };
  const sidecar: SidecarSettings = {
    cpuRequest: cpu(KEYS.sidecarCpuRequest),
    cpuLimit: cpu(KEYS.sidecarCpuLimit),
    memoryRequest: memory(KEYS.sidecarMemoryRequest),
    memoryLimit: memory(KEYS.sidecarMemoryLimit),
    runAsUser: id(KEYS.sidecarRunAsUser),
    runAsGroup: id(KEYS.sidecarRunAsGroup),
  };
  if (sidecar.cpuRequest && sidecar.cpuLimit && cpuMillis(sidecar.cpuRequest) > cpuMillis(sidecar.cpuLimit)) {
    problem(
      KEYS.sidecarCpuRequest,
      `${quoted(KEYS.sidecarCpuRequest)} is above ${quoted(KEYS.sidecarCpuLimit)}`,
      KEYS.sidecarCpuLimit,
    );
  }
  if (
    sidecar.memoryRequest &&
    sidecar.memoryLimit &&
    (parseQuantity(sidecar.memoryRequest) ?? 0) > (parseQuantity(sidecar.memoryLimit) ?? Infinity)
  ) {
    problem(
      KEYS.sidecarMemoryRequest,
      `${quoted(KEYS.sidecarMemoryRequest)} is above ${quoted(KEYS.sidecarMemoryLimit)}`,
      KEYS.sidecarMemoryLimit,
    );
  }

  // Cross-field checks only where both sides parsed, so one typo yields one message.
  if (sizeLimitBytes !== undefined) {
    if (maxTotalBytes !== undefined && maxTotalBytes > sizeLimitBytes) {
      problem(
        KEYS.maxTotalSize,
        `${quoted(KEYS.maxTotalSize)} is above ${quoted(KEYS.sizeLimit)}; use at most the size limit, e.g. 80%`,
        KEYS.sizeLimit,
      );
    } else if (maxTotalBytes !== undefined && maxTotalBytes > sizeLimitBytes * 0.9) {
      warnings.push(
        `${quoted(KEYS.maxTotalSize)} is over 90% of ${KEYS.sizeLimit}: a burst between sweeps may reach the limit and get the pod evicted`,
      );
    }
    if (hardLimitBytes !== undefined && hardLimitBytes > sizeLimitBytes) {
      problem(
        KEYS.hardLimit,
        `${quoted(KEYS.hardLimit)} is above ${quoted(KEYS.sizeLimit)}; use at most the size limit, e.g. 95%`,
        KEYS.sizeLimit,
      );
    }
  }
  if (maxTotalBytes !== undefined && hardLimitBytes !== undefined && maxTotalBytes > hardLimitBytes) {
    problem(
      KEYS.maxTotalSize,
      `${quoted(KEYS.maxTotalSize)} is above ${quoted(KEYS.hardLimit)}; the budget must sit below the last-resort line`,
      KEYS.hardLimit,
    );
  }
  if (maxFileBytes !== undefined && maxTotalBytes !== undefined && maxFileBytes > maxTotalBytes) {
    problem(
      KEYS.maxFileSize,
      `${quoted(KEYS.maxFileSize)} is above ${quoted(KEYS.maxTotalSize)}; a single file could exceed the whole budget`,
      KEYS.maxTotalSize,
    );
  }
  if (closedAfterMs !== undefined && closedAfterMs < 10_000) {
    warnings.push(
      `${quoted(KEYS.closedAfter)} is under 10s: a log shipper may not have finished reading a file before it is compressed`,
    );
  }

  if (problems.length > 0) return { ok: false, problems, warnings };
  return {
    ok: true,
    warnings,
    policy: {
      logDir: logDir!,
      containers,
      sizeLimit: sizeLimit.trim(),
      sizeLimitBytes: sizeLimitBytes!,
      maxTotalBytes: maxTotalBytes!,
      maxFileBytes: maxFileBytes!,
      hardLimitBytes: hardLimitBytes!,
      maxAgeMs: maxAgeMs!,
      maxFiles: maxFiles!,
      compress: compress!,
      compressLevel,
      closedAfterMs: closedAfterMs!,
      schedule,
      recursive: recursive!,
      include: include!,
      exclude: exclude!,
      sidecar,
    },
  };
}

/** `"true"` / `"false"` only: `"yes"` or `"1"` silently meaning something is how outages start. */
export function boolean(
  key: Key,
  text: string | undefined,
  problem: (key: Key, message: string) => void,
): boolean | undefined {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === undefined) return undefined;
  problem(key, `${key}: ${JSON.stringify(text)} is not a boolean; use "true" or "false"`);
  return undefined;
}

/** `a, b or c`. */
export function alternatives(names: readonly string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

export function formatProblems(problems: readonly Problem[]): string {
  return problems.map((p) => p.message).join('; ');
}

// node-cron's validation expands every field: a tenth of a pod review's CPU, for the same few
// expressions cluster-wide. Remembered, within a bound a hostile stream of values cannot exceed.
const validSchedules = new Map<string, boolean>();

// node-cron expands a range element by element before it checks the bounds: `1-99999999` costs
// it half a minute of CPU, which in the webhook stalls every review. No field goes past 59, and
// a real expression is short, so anything longer or with a three-digit number is refused first.
const PLAUSIBLE_CRON = /^(?!.*\d{3})[\d*/,\-a-zA-Z?# ]{1,100}$/;

function isValidSchedule(expression: string): boolean {
  let valid = validSchedules.get(expression);
  if (valid === undefined) {
    valid = PLAUSIBLE_CRON.test(expression) && isCronExpression(expression);
    if (validSchedules.size >= 1000) validSchedules.clear();
    validSchedules.set(expression, valid);
  }
  return valid;
}

function cpuMillis(text: string): number {
  return text.endsWith('m') ? Number(text.slice(0, -1)) : Number(text) * 1000;
}

// Suggestions cost an edit distance against every key: a pod with thousands of unknown keys
// (the API server allows 256 KiB of annotations) would spend seconds of CPU on them. The first
// few get one; the rest are counted.
const SUGGESTED_UNKNOWN_KEYS = 5;

/** One warning per unknown `logward.io/` key (the first few with the closest real key), then a count. */
export function unknownKeyWarnings(raw: RawAnnotations): string[] {
  const warnings: string[] = [];
  let unsuggested = 0;
  for (const name of Object.keys(raw)) {
    if (!isOurKey(name) || (ALL_KEYS as readonly string[]).includes(name)) continue;
    if (warnings.length >= SUGGESTED_UNKNOWN_KEYS) {
      unsuggested++;
      continue;
    }
    const hint = closestKey(name);
    warnings.push(
      `${name} is not a Logward annotation and is ignored${hint ? `; did you mean ${hint}?` : ''}`,
    );
  }
  if (unsuggested > 0) {
    warnings.push(`${unsuggested} more ${PREFIX} annotations are not Logward's and are ignored`);
  }
  return warnings;
}

function closestKey(name: string): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const key of ALL_KEYS) {
    // Lengths further apart than the distance allowed cannot be within it.
    if (Math.abs(key.length - name.length) > 3) continue;
    const distance = editDistance(name, key);
    if (distance <= 3 && (!best || distance < best.distance)) best = { key, distance };
  }
  return best?.key;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}
