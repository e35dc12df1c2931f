import type { V1Pod } from '@kubernetes/client-node';
import type { SkipReasonRow } from './reasons.ts';
import type { SidecarMode } from './sidecar-container.ts';
import type { WorkloadKind } from './workloads.ts';

// What happens to Jobs, in one place. A Job's pods run to completion, and a pod completes only
// when all of its containers have exited. A native sidecar (an init container with restartPolicy
// Always, Kubernetes >= 1.29) is stopped by kubelet once the app's containers are done; a classic
// sidecar never exits, so the pod would never complete. With classic sidecars, Logward leaves
// run-to-completion pods alone and tells whoever applies the workload. A Job's pods are owned by
// the Job, and a CronJob's by the Jobs it makes from its jobTemplate: the owner lookup follows
// both, and a CronJob's settings are read at both levels.

/** The rule: a classic sidecar would keep this pod from ever completing. */
export function classicSidecarBlocksCompletion(pod: V1Pod, mode: SidecarMode): boolean {
  return mode === 'classic' && (pod.spec?.restartPolicy ?? 'Always') !== 'Always';
}

/** The rule's row of the skip reasons (reasons.ts). */
export const JOB_SKIP_REASONS = {
  classic_sidecar_blocks_job: {
    text: 'the pod runs to completion and sidecars are classic containers here: a classic sidecar would keep it from ever completing',
    // Said when the Job or CronJob is applied: otherwise its pods silently run without Logward.
    atApply: 'warn',
    offline: 'note',
  },
} as const satisfies Record<string, SkipReasonRow>;

/** Job and CronJob in the workload table (workloads.ts). */
export const JOB_WORKLOADS = {
  Job: { apiVersion: 'batch/v1', resource: 'jobs', template: ['spec', 'template'] },
  CronJob: {
    apiVersion: 'batch/v1',
    resource: 'cronjobs',
    template: ['spec', 'jobTemplate', 'spec', 'template'],
    between: ['spec', 'jobTemplate', 'metadata', 'annotations'],
  },
} as const satisfies Record<string, WorkloadKind>;
