import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { KEYS } from '../contract/keys.ts';
import { type Decision, decide, needsNamespace } from './decide.ts';
import { appPod, cluster, deepFreeze } from './testing.ts';

// What a Namespace's annotations do to its pods: contract/layers.ts's order, opt-in included.

const context = { ...cluster, namespace: 'shop', workloadAnnotations: {}, namespaceAnnotations: {} };
const optedInNamespace = { [KEYS.inject]: 'true', [KEYS.logDir]: '/log' };

function injected(decision: Decision): V1Pod {
  if (decision.kind !== 'inject') throw new Error(`expected inject, got ${JSON.stringify(decision)}`);
  return decision.pod;
}

function sidecarOf(pod: V1Pod): V1Container {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find(
    (c) => c.name === 'logward-sidecar',
  )!;
}

/** The sidecar's policy flags, `--max-age=3d` as `max-age: 3d`. */
function flagsOf(pod: V1Pod): Record<string, string> {
  return Object.fromEntries(
    (sidecarOf(pod).args ?? [])
      .filter((arg) => arg.startsWith('--'))
      .map((arg) => arg.slice(2).split('=') as [string, string]),
  );
}

describe('a Namespace opting its pods in', () => {
  it('injects a pod that says nothing itself, with the namespace defaults', () => {
    const decision = decide(deepFreeze(appPod({ annotations: null })), {
      ...context,
      namespaceAnnotations: { ...optedInNamespace, [KEYS.sizeLimit]: '2Gi', [KEYS.maxAge]: '3d' },
    });
    const pod = injected(decision);
    expect(pod.spec?.volumes?.[0]).toEqual({ name: 'logward-logs', emptyDir: { sizeLimit: '2Gi' } });
    expect(pod.spec?.containers[0]?.volumeMounts).toEqual([{ name: 'logward-logs', mountPath: '/log' }]);
    // The sidecar reads the pod's annotations file, which holds none of these: they come as flags.
    expect(flagsOf(pod)).toMatchObject({ 'size-limit': '2Gi', 'max-age': '3d', 'volume-size-limit': '2Gi' });
  });

  it('lets a pod or its workload opt out', () => {
    const namespaceAnnotations = optedInNamespace;
    expect(
      decide(appPod({ annotations: { [KEYS.inject]: 'false' } }), { ...context, namespaceAnnotations }),
    ).toEqual({ kind: 'skip', reasons: ['opted_out'], warnings: [] });
    expect(
      decide(appPod({ annotations: null }), {
        ...context,
        namespaceAnnotations,
        workloadAnnotations: { [KEYS.inject]: 'false' },
      }),
    ).toEqual({ kind: 'skip', reasons: ['opted_out'], warnings: [] });
  });

  it('is overruled by a pod that opts in where the namespace opts out', () => {
    const decision = decide(appPod(), { ...context, namespaceAnnotations: { [KEYS.inject]: 'false' } });
    expect(decision.kind).toBe('inject');
    expect(
      decide(appPod({ annotations: null }), { ...context, namespaceAnnotations: { [KEYS.inject]: 'false' } }),
    ).toMatchObject({ kind: 'skip', reasons: ['opted_out'] });
  });

  it('never reaches an excluded namespace', () => {
    expect(
      decide(appPod({ annotations: null }), {
        ...context,
        namespace: 'kube-system',
        namespaceAnnotations: optedInNamespace,
      }),
    ).toEqual({ kind: 'skip', reasons: ['namespace_excluded'], warnings: [] });
  });

  it('keeps the Job rule: with classic sidecars, pods that run to completion are left alone', () => {
    const job = appPod({ annotations: null, spec: { restartPolicy: 'Never' } });
    const namespaceAnnotations = optedInNamespace;
    expect(decide(job, { ...context, namespaceAnnotations, mode: 'classic' })).toMatchObject({
      kind: 'skip',
      reasons: ['classic_sidecar_blocks_job'],
    });
    expect(decide(job, { ...context, namespaceAnnotations }).kind).toBe('inject');
  });

  it('leaves alone a pod already injected, a Windows pod and one without containers', () => {
    const namespaceAnnotations = optedInNamespace;
    for (const [pod, reason] of [
      [appPod({ annotations: { [KEYS.status]: 'injected' } }), 'already_injected'],
      [appPod({ annotations: null, spec: { os: { name: 'windows' } } }), 'windows_pod'],
      [appPod({ annotations: null, spec: { containers: [] } }), 'no_containers'],
    ] as const) {
      expect(decide(pod, { ...context, namespaceAnnotations })).toMatchObject({
        kind: 'skip',
        reasons: [reason],
      });
    }
  });
});

describe('precedence: pod > workload > namespace > cluster > built-in', () => {
  it('takes each key from the most specific object that sets it', () => {
    const pod = injected(
      decide(appPod({ annotations: { [KEYS.inject]: 'true', [KEYS.maxAge]: '1d' } }), {
        ...context,
        workloadAnnotations: { [KEYS.maxAge]: '2d', [KEYS.maxFiles]: '4', [KEYS.logDir]: '/workload' },
        namespaceAnnotations: {
          [KEYS.maxAge]: '3d',
          [KEYS.maxFiles]: '5',
          [KEYS.logDir]: '/namespace',
          [KEYS.sizeLimit]: '3Gi',
          [KEYS.compress]: 'zstd',
        },
        defaults: { [KEYS.sizeLimit]: '4Gi', [KEYS.compress]: 'none', [KEYS.closedAfter]: '10m' },
      }),
    );
    expect(pod.spec?.containers[0]?.volumeMounts?.[0]?.mountPath).toBe('/workload');
    expect(flagsOf(pod)).toMatchObject({
      'max-age': '1d', // the pod's
      'max-files': '4', // the workload's
      'size-limit': '3Gi', // the namespace's
      compress: 'zstd', // the namespace's, over the cluster's
      'closed-after': '10m', // the cluster's
    });
    // Built in: nobody sets it, so the sidecar gets no flag and uses its own default.
    expect(flagsOf(pod)['max-total-size']).toBeUndefined();
  });
});

describe('a Namespace the webhook could not read', () => {
  const unknown = { ...context, namespaceAnnotations: undefined };

  it('leaves the pod as if Logward were absent, opted in or not: never refused', () => {
    for (const annotations of [null, undefined, { [KEYS.inject]: 'true', [KEYS.maxAge]: '7days' }]) {
      expect(decide(appPod({ annotations }), unknown)).toEqual({
        kind: 'skip',
        reasons: ['namespace_unknown'],
        warnings: [],
      });
    }
  });

  it("still honours the pod's own opt-out, and its own invalid opt-in", () => {
    expect(decide(appPod({ annotations: { [KEYS.inject]: 'false' } }), unknown)).toMatchObject({
      reasons: ['opted_out'],
    });
    expect(decide(appPod({ annotations: { [KEYS.inject]: 'yes' } }), unknown)).toMatchObject({
      kind: 'invalid',
      problems: [{ key: KEYS.inject, value: 'yes' }],
    });
  });
});

describe("a Namespace's invalid value", () => {
  it('makes the decision invalid, naming the key and value, for the webhook to judge', () => {
    expect(
      decide(appPod({ annotations: null }), {
        ...context,
        namespaceAnnotations: { ...optedInNamespace, [KEYS.maxAge]: '3days' },
      }),
    ).toMatchObject({ kind: 'invalid', problems: [{ key: KEYS.maxAge, value: '3days' }] });
    expect(
      decide(appPod({ annotations: null }), { ...context, namespaceAnnotations: { [KEYS.inject]: 'yes' } }),
    ).toMatchObject({ kind: 'invalid', problems: [{ key: KEYS.inject, value: 'yes' }] });
  });

  it('does not matter where the pod sets the key itself', () => {
    expect(
      decide(appPod({ annotations: { [KEYS.inject]: 'true', [KEYS.maxAge]: '1d' } }), {
        ...context,
        namespaceAnnotations: { [KEYS.logDir]: '/log', [KEYS.maxAge]: '3days', [KEYS.inject]: 'yes' },
      }).kind,
    ).toBe('inject');
  });
});

describe('needsNamespace', () => {
  it('asks for the Namespace unless the pod is excluded or opts out itself', () => {
    expect(needsNamespace(appPod({ annotations: null }), context)).toBe(true);
    expect(needsNamespace(appPod({ annotations: { [KEYS.inject]: 'false' } }), context)).toBe(false);
    expect(needsNamespace(appPod(), { ...context, namespace: 'kube-system' })).toBe(false);
  });
});
