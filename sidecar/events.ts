// Kubernetes Events for what a human must hear about: the last-resort cap (bytes dropped to
// save the pod) and an action that keeps failing. Everything else is in the logs and metrics.
// Which results deserve an Event is decided here, without I/O; the sink does the API call.
import { KEYS } from '../contract/keys.ts';
import type { ActionResult } from './execute.ts';
import type { Logger } from './log.ts';
import { hintFor } from './report.ts';

export interface PodEvent {
  type: 'Normal' | 'Warning';
  reason: 'LogwardLastResortCap' | 'LogwardActionFailing' | 'LogwardUnmanagedOverBudget';
  message: string;
  /** Events with the same key are rate-limited together. */
  key: string;
}

/** Failing this many passes in a row makes an Event: once can be a file vanishing, thrice is a problem. */
export const FAILURE_STREAK = 3;

/** Consecutive failures per action and file, carried from one pass to the next. */
export type FailureStreaks = Map<string, number>;

export function eventsFor(results: readonly ActionResult[], streaks: FailureStreaks): PodEvent[] {
  const events: PodEvent[] = [];
  for (const result of results) {
    const { action } = result;
    const key = `${action.kind}:${action.file}`;
    if (!result.ok) {
      if (result.code === 'ABORTED') continue;
      const streak = (streaks.get(key) ?? 0) + 1;
      streaks.set(key, streak);
      if (streak === FAILURE_STREAK) {
        events.push({
          type: 'Warning',
          reason: 'LogwardActionFailing',
          message: `${result.error.message} (${streak} passes in a row)${hintFor(result) ? `: ${hintFor(result)}` : ''}`,
          key,
        });
      }
      continue;
    }
    streaks.delete(key);
    if (
      action.kind === 'cap' &&
      action.reason === 'over_hard_limit' &&
      result.outcome.kind === 'capped' &&
      result.outcome.removedBytes > 0
    ) {
      events.push({
        type: 'Warning',
        reason: 'LogwardLastResortCap',
        message: `dropped the oldest ${result.outcome.removedBytes} bytes of live file "${action.file}": the log directory reached its hard limit and only live data was left; raise ${KEYS.sizeLimit} or lower the write rate`,
        key: `last-resort:${action.file}`,
      });
    }
  }
  return events;
}

/**
 * Files the sidecar may not touch alone exceed the budget: it can free nothing of them, and
 * kubelet counts them. A human must move them, name them as logs, or raise the limit.
 */
export function unmanagedEvent(unmanagedBytes: number, budget: number, largest: readonly string[]): PodEvent {
  return {
    type: 'Warning',
    reason: 'LogwardUnmanagedOverBudget',
    message: `files Logward may not touch (not logs, hard-linked, or in a subdirectory without ${KEYS.recursive}) use ${unmanagedBytes} bytes of the log directory, more than its budget of ${budget} (largest: ${largest.map((name) => JSON.stringify(name)).join(', ')}); they are left alone: move them off the log volume, or name them in ${KEYS.include} if they are logs`,
    key: 'unmanaged-over-budget',
  };
}

export interface EventSink {
  emit(event: PodEvent): Promise<void>;
}

export interface EventRecorder {
  observe(results: readonly ActionResult[]): void;
  /** Sends one event, rate-limited by its key like the others. */
  record(event: PodEvent): void;
  /** Resolves once every Event sent so far has been answered: before exiting. */
  flush(): Promise<void>;
}

/**
 * Sends what `eventsFor` selects, at most one Event per key per `minIntervalMs`. A sink that
 * is forbidden (no RBAC for events) is logged once and not asked again: Events are a courtesy.
 */
export function createEventRecorder(
  sink: EventSink,
  logger: Logger,
  now: () => number,
  minIntervalMs = 600_000,
): EventRecorder {
  const streaks: FailureStreaks = new Map();
  const lastSent = new Map<string, number>();
  let disabled = false;
  const pending = new Set<Promise<void>>();
  const record = (event: PodEvent) => {
    const previous = lastSent.get(event.key);
    if (disabled || (previous !== undefined && now() - previous < minIntervalMs)) return;
    lastSent.set(event.key, now());
    const sent = sink.emit(event).then(
      () => logger.log('info', 'event_recorded', { reason: event.reason }),
      (error: { code?: number; message?: string }) => {
        if (error.code === 403) {
          disabled = true;
          logger.log('warn', 'events_forbidden', {
            error:
              'the pod may not create Events; bind the ClusterRole logward-sidecar-events to its ServiceAccount to see them in kubectl describe pod',
          });
        } else {
          logger.log('warn', 'event_failed', {
            reason: event.reason,
            error: error.message ?? String(error),
          });
        }
      },
    );
    pending.add(sent);
    sent.finally(() => pending.delete(sent));
  };
  return {
    async flush() {
      await Promise.all(pending);
    },
    observe(results) {
      for (const event of eventsFor(results, streaks)) record(event);
    },
    record,
  };
}
