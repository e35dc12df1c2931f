import { KEYS } from '../contract/keys.ts';

// Why a pod was left alone: stable snake_case codes label metrics; the text goes to logs and
// to the AdmissionResponse so a user reading events learns what to change.
export const SKIP_REASONS = {
  namespace_excluded: 'the namespace is excluded from injection',
  not_opted_in: `neither the pod nor its workload has ${KEYS.inject}: "true"`,
  opted_out: `${KEYS.inject} is "false"`,
  already_injected: 'the pod already carries the Logward volume and sidecar',
  classic_sidecar_blocks_job:
    'the pod runs to completion and sidecars are classic containers here: a classic sidecar would keep it from ever completing',
  no_containers: 'the pod has no containers',
  windows_pod:
    'the pod runs on Windows (spec.os.name or a kubernetes.io/os nodeSelector) and the sidecar is a Linux container',
} as const;

export type SkipReason = keyof typeof SKIP_REASONS;
