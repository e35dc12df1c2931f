import { KEYS } from '../contract/keys.ts';
import { JOB_SKIP_REASONS } from './jobs.ts';

/** Why a pod is left alone, and what each entry point does about it. */
export interface SkipReasonRow {
  /** For people: the webhook's `reviewed` log line, `logward inject`'s notes, apply-time warnings. */
  text: string;
  /**
   * When a workload is applied (the validating webhook): `ignore` it altogether (counted as
   * ignored, no reason), `allow` it quietly, or `warn` whoever applies it, in a warning that
   * names the workload and gives the text.
   */
  atApply: 'ignore' | 'allow' | 'warn';
  /** `logward inject`: a `note` on stderr naming the object, or `quiet` (not opting in is no news). */
  offline: 'note' | 'quiet';
}

// One row per reason: the code labels metrics (logward_webhook_skips_total), the row says what
// the webhook, `logward inject` and the logs make of it. A pod's admission carries none of this:
// pods are created by controllers, whose warnings nobody reads.
export const SKIP_REASONS = {
  namespace_excluded: {
    text: 'the namespace is excluded from injection',
    atApply: 'ignore',
    offline: 'note',
  },
  namespace_unknown: {
    text: "Logward could not read the pod's Namespace, whose annotations may opt it in or out or set its defaults; it is admitted as if Logward were absent",
    atApply: 'warn',
    offline: 'note',
  },
  not_opted_in: {
    text: `neither the pod, its workload nor its namespace has ${KEYS.inject}: "true"`,
    // The validating webhook still points out Logward annotations without the opt-in (admit.ts).
    atApply: 'allow',
    offline: 'quiet',
  },
  opted_out: { text: `${KEYS.inject} is "false"`, atApply: 'allow', offline: 'quiet' },
  already_injected: {
    text: 'the pod already carries the Logward volume and sidecar',
    atApply: 'allow',
    offline: 'note',
  },
  ...JOB_SKIP_REASONS,
  no_containers: { text: 'the pod has no containers', atApply: 'allow', offline: 'note' },
  windows_pod: {
    text: 'the pod runs on Windows (spec.os.name or a kubernetes.io/os nodeSelector) and the sidecar is a Linux container',
    atApply: 'warn',
    offline: 'note',
  },
} as const satisfies Record<string, SkipReasonRow>;

/** Why `decide` left a pod alone: a metrics label, so a stable snake_case code. */
export type InjectionSkipReason = keyof typeof SKIP_REASONS;
