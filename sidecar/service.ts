// The long-running sidecar: one scheduler fed by the directory watcher, the cron sweep and
// annotation changes. start() returns stop(), which undoes exactly what start() did.
import { watch as watchFs } from 'node:fs';
import { dirname } from 'node:path';
import { type ScheduledTask, schedule as scheduleCron } from 'node-cron';
import type { Policy } from '../contract/policy.ts';
import type { FallocateMethod } from './cap.ts';
import type { EventRecorder } from './events.ts';
import type { SidecarFs } from './fs.ts';
import type { Logger } from './log.ts';
import { type Metrics, recordResults } from './metrics.ts';
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

/** Runs one sweep with logs and metrics; shared by the service and `--once`. */
export async function sweepAndReport(
  options: Pick<ServiceOptions, 'fs' | 'logger' | 'metrics' | 'now' | 'events'>,
  policy: Policy,
  refused: Set<FallocateMethod>,
  signal?: AbortSignal,
): Promise<SweepReport> {
  const started = performance.now();
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
  options.metrics.sweepDuration.observe((performance.now() - started) / 1000);
  options.metrics.usage.set(report.usageAfter);
  return report;
}

export function startService(options: ServiceOptions): Service {
  const { logger, policy } = options;
  const controller = new AbortController();
  // Aborted by the shutdown, or by usage reaching the hard limit while a pass is busy with slow
  // work (compressing a large head): the file is left as it was, and the next pass plans the
  // last-resort drop first instead of waiting for the copy to finish while the volume fills.
  let passController: AbortController | undefined;
  const refused = options.refused ?? new Set<FallocateMethod>();
  const ignored = new Set<string>();
  let last: SweepReport | undefined;
  let failing = false;
  let watcher: DirectoryWatch | undefined;
  let cron: ScheduledTask | undefined;

  const runPass = async (reasons: ReadonlySet<string>) => {
    const before = policy.current;
    if (await policy.reload()) apply(before, policy.current);
    passController = new AbortController();
    try {
      last = await sweepAndReport(
        options,
        policy.current,
        refused,
        AbortSignal.any([controller.signal, passController.signal]),
      );
      failing = false;
    } catch (error) {
      failing = true;
      throw error;
    }
    watcher?.rebase(last.files);
    for (const skip of last.skipped) {
      const key = `${skip.name}:${skip.why}`;
      if (!ignored.has(key))
        logger.log('info', 'ignored', { file: skip.name, why: skip.why, code: skip.code });
      ignored.add(key);
    }
    if (last.results.length > 0) {
      logger.log('debug', 'sweep', {
        reasons: [...reasons],
        rounds: last.rounds,
        usage_before: last.usageBefore,
        usage_after: last.usageAfter,
      });
    }
  };

  const scheduler = createScheduler(runPass, {
    debounceMs: options.debounceMs ?? 20,
    onError: (error) =>
      logger.log('error', 'sweep_failed', { dir: policy.current.logDir, error: error as Error }),
  });

  const startWatcher = (p: Policy) =>
    watchDirectory(p.logDir, {
      recursive: p.recursive,
      thresholds: () => ({
        maxFileBytes: policy.current.maxFileBytes,
        highWaterBytes: policy.current.maxTotalBytes,
        hardLimitBytes: policy.current.hardLimitBytes,
      }),
      trigger: (reason) => {
        if (reason === 'over_hard_limit' && passController && !passController.signal.aborted) {
          logger.log('warn', 'preempted', { reason, dir: p.logDir });
          passController.abort();
        }
        scheduler.schedule(reason);
      },
      onError: (error) => logger.log('warn', 'watch_error', { dir: p.logDir, error }),
    });
  const startCron = (p: Policy) =>
    scheduleCron(p.schedule, () => scheduler.schedule('schedule'), { noOverlap: true });

  const apply = (before: Policy, after: Policy) => {
    setPolicyGauges(options.metrics, after);
    if (before.schedule !== after.schedule) {
      void cron?.destroy();
      cron = startCron(after);
    }
    if (before.recursive !== after.recursive) {
      void watcher?.stop();
      watcher = startWatcher(after);
    }
  };

  setPolicyGauges(options.metrics, policy.current);
  watcher = startWatcher(policy.current);
  cron = startCron(policy.current);
  // The downward API swaps a `..data` symlink in the file's directory: watch the directory.
  const annotations = options.annotationsFile
    ? watchFs(dirname(options.annotationsFile), () => scheduler.schedule('annotations_changed'))
    : undefined;
  annotations?.on('error', (error) =>
    logger.log('warn', 'watch_error', { file: options.annotationsFile, error }),
  );
  scheduler.schedule('start');

  return {
    scheduler,
    lastSweep: () => last,
    healthy: () => !failing,
    async stop() {
      // Abort first: a long compression is abandoned (its temporary file removed) rather than
      // awaited, so SIGTERM is honoured within the pod's grace period.
      controller.abort();
      annotations?.close();
      await cron?.destroy();
      await watcher?.stop();
      await scheduler.stop();
    },
  };
}
