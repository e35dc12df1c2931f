// The checks that read more than one key, after each key parsed on its own (kinds.ts). Each
// runs only where every side parsed, so one typo yields one message, and a problem names the
// other key in `with`, whose value counts too.
import { KEYS, type Key } from './keys.ts';
import type { SettingsRead } from './kinds.ts';
import { parseQuantity } from './quantity.ts';
import type { Sizes } from './sizes.ts';

export interface CrossFieldReport {
  problem(key: Key, message: string, other: Key): void;
  warn(warning: string): void;
  /** `key: "value"`, as messages quote a key's value in force. */
  quoted(key: Key): string;
}

/** A budget this close to the size limit leaves a burst between sweeps little room. */
const TIGHT_BUDGET = 0.9;
/** Compressing a file sooner may take it from a log shipper still reading it. */
const SHIPPER_GRACE_MS = 10_000;

export function checkAcrossKeys(
  settings: Readonly<SettingsRead>,
  sizes: Sizes,
  report: CrossFieldReport,
): void {
  checkSidecarResources(settings, report);
  checkBudget(sizes, report);
  const closedAfter = settings.closedAfter;
  if (closedAfter !== undefined && closedAfter < SHIPPER_GRACE_MS) {
    report.warn(
      `${report.quoted(KEYS.closedAfter)} is under 10s: a log shipper may not have finished reading a file before it is compressed`,
    );
  }
}

function checkSidecarResources(
  settings: Readonly<SettingsRead>,
  { problem, quoted }: CrossFieldReport,
): void {
  const { sidecarCpuRequest: cpuRequest, sidecarCpuLimit: cpuLimit } = settings;
  if (cpuRequest && cpuLimit && cpuMillis(cpuRequest) > cpuMillis(cpuLimit)) {
    problem(
      KEYS.sidecarCpuRequest,
      `${quoted(KEYS.sidecarCpuRequest)} is above ${quoted(KEYS.sidecarCpuLimit)}`,
      KEYS.sidecarCpuLimit,
    );
  }
  const { sidecarMemoryRequest: memoryRequest, sidecarMemoryLimit: memoryLimit } = settings;
  if (
    memoryRequest &&
    memoryLimit &&
    (parseQuantity(memoryRequest) ?? 0) > (parseQuantity(memoryLimit) ?? Number.POSITIVE_INFINITY)
  ) {
    problem(
      KEYS.sidecarMemoryRequest,
      `${quoted(KEYS.sidecarMemoryRequest)} is above ${quoted(KEYS.sidecarMemoryLimit)}`,
      KEYS.sidecarMemoryLimit,
    );
  }
}

/** size-limit >= hard-limit >= max-total-size >= max-file-size. */
function checkBudget(sizes: Sizes, { problem, warn, quoted }: CrossFieldReport): void {
  const { sizeLimit, maxTotalSize, maxFileSize, hardLimit } = sizes;
  if (sizeLimit !== undefined) {
    if (maxTotalSize !== undefined && maxTotalSize > sizeLimit) {
      problem(
        KEYS.maxTotalSize,
        `${quoted(KEYS.maxTotalSize)} is above ${quoted(KEYS.sizeLimit)}; use at most the size limit, e.g. 80%`,
        KEYS.sizeLimit,
      );
    } else if (maxTotalSize !== undefined && maxTotalSize > sizeLimit * TIGHT_BUDGET) {
      warn(
        `${quoted(KEYS.maxTotalSize)} is over 90% of ${KEYS.sizeLimit}: a burst between sweeps may reach the limit and get the pod evicted`,
      );
    }
    if (hardLimit !== undefined && hardLimit > sizeLimit) {
      problem(
        KEYS.hardLimit,
        `${quoted(KEYS.hardLimit)} is above ${quoted(KEYS.sizeLimit)}; use at most the size limit, e.g. 95%`,
        KEYS.sizeLimit,
      );
    }
  }
  if (maxTotalSize !== undefined && hardLimit !== undefined && maxTotalSize > hardLimit) {
    problem(
      KEYS.maxTotalSize,
      `${quoted(KEYS.maxTotalSize)} is above ${quoted(KEYS.hardLimit)}; the budget must sit below the last-resort line`,
      KEYS.hardLimit,
    );
  }
  if (maxFileSize !== undefined && maxTotalSize !== undefined && maxFileSize > maxTotalSize) {
    problem(
      KEYS.maxFileSize,
      `${quoted(KEYS.maxFileSize)} is above ${quoted(KEYS.maxTotalSize)}; a single file could exceed the whole budget`,
      KEYS.maxTotalSize,
    );
  }
}

function cpuMillis(text: string): number {
  return text.endsWith('m') ? Number(text.slice(0, -1)) : Number(text) * 1000;
}
