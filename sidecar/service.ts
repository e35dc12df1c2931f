// The long-running sidecar: one scheduler fed by the directory watcher, the cron sweep and
// annotation changes. start() returns stop(), which undoes exactly what start() did.
import { type FSWatcher, watch as watchFs } from 'node:fs';
import { dirname } from 'node:path';
import { parseCron } from '../contract/cron.ts';
import { KEYS } from '../contract/keys.ts';
import type { Policy } from '../contract/policy.ts';
import type { FallocateMethod } from './cap.ts';
import { type Compaction, compactWhenQuiet, exposedCollector } from './compaction.ts';
import { type CronTimer, everyCronTime } from './cron-timer.ts';
import { type EventRecorder, unmanagedEvent } from './events.ts';
import { holeMapAvailable } from './extents.ts';
import type { SidecarFs } from './fs.ts';
import type { Logger } from './log.ts';
import { type Metrics, recordResults } from './metrics.ts';
import { logMatcher } from './ownership.ts';
import type { PolicySource } from './policy-source.ts';
import { logResult } from './report.ts';
import { createScheduler, type Scheduler } from './scheduler.ts';
import { type SweepReport, sweep } from './sweep.ts';
import { type DirectoryWatch, watchDirectory } from './watch.ts';

export interface ServiceOptions {
  policy: PolicySource;
  fs: SidecarFs;
  logger: Logger;
  metrics: Metrics;
  now: () => number;
  annotationsFile?: string | undefined;
  /** Kubernetes Events for the last resort and repeated failures; none outside a cluster. */
  events?: EventRecorder | undefined;
  /** Preset refused fallocate methods (tests force the copy-then-truncate fallback with it). */
  refused?: Set<FallocateMethod>;
  debounceMs?: number;
}

/** How long nothing must happen after work before the heap is compacted (compaction.ts). */
const QUIET_MS = 5_000;

export interface Service {
  scheduler: Scheduler;
  /** The latest pass's report, for /healthz and tests. */
  lastSweep(): SweepReport | undefined;
  healthy(): boolean;
  stop(): Promise<void>;
}

export function setPolicyGauges(metrics: Metrics, policy: Policy): void {
  metrics.budget.set(policy.maxTotalBytes);
  metrics.limit.set(policy.sizeLimitBytes);
  metrics.hardLimit.set(policy.hardLimitBytes);
}

/** What the reports of past passes said, so each thing is said once, or once in a while. */
export interface ReportState {
  /** `file:why` of files already logged as ignored. */
  ignored: Set<string>;
  /** When `unmanaged_over_budget` was last logged; undefined while within the budget. */
  unmanagedLoggedAt?: number | undefined;
  holesGuessLogged?: boolean;
}

export function newReportState(): ReportState {
  return { ignored: new Set() };
}

/** A problem that persists is repeated this often in the log, not at every pass. */
const REPEAT_MS = 600_000;
/** Bounds the memory of what was logged; past it, the set starts over. */
const MAX_REMEMBERED = 100_000;

/** Runs one sweep with logs and metrics; shared by the service and `--once`. */
export async function sweepAndReport(
  options: Pick<ServiceOptions, 'fs' | 'logger' | 'metrics' | 'now' | 'events'>,
  policy: Policy,
  refused: Set<FallocateMethod>,
  state: ReportState,
  signal?: AbortSignal,
): Promise<SweepReport> {
  // process.hrtime, not performance.now(): the `performance` global loads perf_hooks, about
  // 0.8 MiB resident in every pod for one duration.
  const started = process.hrtime.bigint();
  const report = await sweep({
    context: { fs: options.fs, dir: policy.logDir, compressLevel: policy.compressLevel, refused, signal },
    policy,
    now: options.now,
    onResults: (results) => {
      for (const result of results) logResult(options.logger, result);
      recordResults(options.metrics, results);
      options.events?.observe(results);
    },
  });
  options.metrics.sweepDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
  options.metrics.usage.set(report.usageAfter);
  options.metrics.unmanaged.set(report.unmanagedBytes);
  reportLeftAlone(options, policy, report, state);
  return report;
}

/** Says which files the sidecar leaves alone, once each, and when they alone exceed the budget. */
function reportLeftAlone(
  options: Pick<ServiceOptions, 'logger' | 'now' | 'events'>,
  policy: Policy,
  report: SweepReport,
  state: ReportState,
): void {
  const { logger } = options;
  if (state.ignored.size > MAX_REMEMBERED) state.ignored.clear();
  const once = (key: string) => !state.ignored.has(key) && Boolean(state.ignored.add(key));
  for (const skip of report.skipped) {
    if (once(`${skip.name}:${skip.why}`))
      logger.log('info', 'ignored', { file: skip.name, why: skip.why, code: skip.code });
  }
  // Files in a subdirectory without `recursive` are covered by the directory's own line.
  for (const left of report.ignored) {
    if (left.why !== 'subdirectory' && once(`${left.file}:${left.why}`)) {
      logger.log('info', 'ignored', { file: left.file, why: left.why, bytes: left.bytes });
    }
  }
  if (!holeMapAvailable() && !state.holesGuessLogged) {
    state.holesGuessLogged = true;
    logger.log('warn', 'holes_guessed', {
      error:
        'logward-extents is not installed: runs of NULs of a block or more in files with holes are taken for holes',
    });
  }
  if (report.unmanagedBytes <= policy.maxTotalBytes) {
    if (state.unmanagedLoggedAt !== undefined) {
      logger.log('info', 'unmanaged_within_budget', {
        unmanaged_bytes: report.unmanagedBytes,
        budget: policy.maxTotalBytes,
      });
    }
    state.unmanagedLoggedAt = undefined;
    return;
  }
  const now = options.now();
  if (state.unmanagedLoggedAt !== undefined && now - state.unmanagedLoggedAt < REPEAT_MS) return;
  state.unmanagedLoggedAt = now;
  const largest = [...report.ignored]
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 3)
    .map((left) => left.file);
  logger.log('error', 'unmanaged_over_budget', {
    unmanaged_bytes: report.unmanagedBytes,
    budget: policy.maxTotalBytes,
    largest,
    error: `files the sidecar may not touch (not logs, hard-linked, or in a subdirectory without ${KEYS.recursive}) alone exceed the budget; they are left alone: move them off the log volume, or name them in ${KEYS.include} if they are logs`,
  });
  options.events?.record(unmanagedEvent(report.unmanagedBytes, policy.maxTotalBytes, largest));
}

/** What a running service holds between passes. */
interface Running {
  options: ServiceOptions;
  /** Aborted by stop(): a long compression is abandoned (its temporary file removed), not awaited. */
  shutdown: AbortController;
  /**
   * The pass in progress. Aborted by the shutdown, or by usage reaching the hard limit while the
   * pass is busy with slow work (compressing a large head): the file is left as it was, and the
   * next pass plans the last-resort drop first instead of waiting for the copy to finish while
   * the volume fills.
   */
  pass: AbortController | undefined;
  refused: Set<FallocateMethod>;
  reports: ReportState;
  last: SweepReport | undefined;
  failing: boolean;
  watcher: DirectoryWatch | undefined;
  cron: CronTimer | undefined;
  compaction: Compaction;
}

export function startService(options: ServiceOptions): Service {
  const { logger, policy } = options;
  const running: Running = {
    options,
    shutdown: new AbortController(),
    pass: undefined,
    refused: options.refused ?? new Set<FallocateMethod>(),
    reports: newReportState(),
    last: undefined,
    failing: false,
    watcher: undefined,
    cron: undefined,
    compaction: compactWhenQuiet(exposedCollector(), QUIET_MS),
  };
  const scheduler: Scheduler = createScheduler((reasons) => runPass(running, scheduler, reasons), {
    debounceMs: options.debounceMs ?? 20,
    onError: (error) =>
      logger.log('error', 'sweep_failed', { dir: policy.current.logDir, error: error as Error }),
  });
  setPolicyGauges(options.metrics, policy.current);
  running.watcher = watchLogDirectory(running, scheduler);
  running.cron = scheduleSweeps(policy.current, scheduler);
  const annotations = watchAnnotations(options, scheduler);
  scheduler.schedule('start');

  return {
    scheduler,
    lastSweep: () => running.last,
    healthy: () => !running.failing,
    async stop() {
      // Abort first, so SIGTERM is honoured within the pod's grace period.
      running.shutdown.abort();
      running.compaction.stop();
      annotations?.close();
      running.cron?.stop();
      await running.watcher?.stop();
      await scheduler.stop();
    },
  };
}

/** One pass: the annotations re-read, then a sweep, then the watcher set to what it found. */
async function runPass(running: Running, scheduler: Scheduler, reasons: ReadonlySet<string>): Promise<void> {
  const { policy, logger } = running.options;
  const before = policy.current;
  running.compaction.busy();
  if (await policy.reload()) applyPolicyChange(running, scheduler, before, policy.current);
  running.pass = new AbortController();
  let last: SweepReport;
  try {
    last = await sweepAndReport(
      running.options,
      policy.current,
      running.refused,
      running.reports,
      AbortSignal.any([running.shutdown.signal, running.pass.signal]),
    );
    running.failing = false;
  } catch (error) {
    running.failing = true;
    throw error;
  }
  // After start-up and after work, not after every quiet cron pass: those allocate little.
  running.compaction.settled(running.last === undefined || last.actions > 0);
  running.last = last;
  running.watcher?.rebase(last.files, { usage: last.usageAfter, directories: last.directories });
  // Kept for /healthz and tests; a large listing is not worth keeping until the next pass.
  last.files = [];
  if (last.actions > 0) {
    logger.log('debug', 'sweep', {
      reasons: [...reasons],
      rounds: last.rounds,
      usage_before: last.usageBefore,
      usage_after: last.usageAfter,
    });
  }
}

/** A new policy from the annotations: its gauges, and the cron sweep on its schedule. */
function applyPolicyChange(running: Running, scheduler: Scheduler, before: Policy, after: Policy): void {
  setPolicyGauges(running.options.metrics, after);
  if (before.schedule !== after.schedule) {
    running.cron?.stop();
    running.cron = scheduleSweeps(after, scheduler);
  }
}

/**
 * File events act at once: a pass when a log passes its cap or the directory its budget, and
 * the pass in progress preempted when usage reaches the hard limit.
 */
function watchLogDirectory(running: Running, scheduler: Scheduler): DirectoryWatch {
  const { policy, logger } = running.options;
  const dir = policy.current.logDir;
  return watchDirectory(dir, {
    isManagedLog: (name) => {
      const current = policy.current;
      return (current.recursive || !name.includes('/')) && logMatcher(current)(name);
    },
    thresholds: () => ({
      maxFileBytes: policy.current.maxFileBytes,
      highWaterBytes: policy.current.maxTotalBytes,
      hardLimitBytes: policy.current.hardLimitBytes,
    }),
    trigger: (reason) => {
      if (reason === 'over_hard_limit' && running.pass && !running.pass.signal.aborted) {
        logger.log('warn', 'preempted', { reason, dir });
        running.pass.abort();
      }
      scheduler.schedule(reason);
    },
    onError: (error) => logger.log('warn', 'watch_error', { dir, error }),
  });
}

/** The full sweep on the policy's cron schedule, catching what the watcher missed. */
function scheduleSweeps(policy: Policy, scheduler: Scheduler): CronTimer | undefined {
  // The policy's schedule was parsed when it was read; a failure here cannot happen.
  const parsed = parseCron(policy.schedule);
  return parsed.ok ? everyCronTime(parsed.schedule, () => scheduler.schedule('schedule')) : undefined;
}

/** The downward API swaps a `..data` symlink in the file's directory: watch the directory. */
function watchAnnotations(options: ServiceOptions, scheduler: Scheduler): FSWatcher | undefined {
  const file = options.annotationsFile;
  if (!file) return undefined;
  const watcher = watchFs(dirname(file), () => scheduler.schedule('annotations_changed'));
  watcher.on('error', (error) => options.logger.log('warn', 'watch_error', { file, error }));
  return watcher;
}
