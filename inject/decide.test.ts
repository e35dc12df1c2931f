import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { KEYS } from '../contract/keys.ts';
import { type Decision, decide } from './decide.ts';
import { diffPatch } from './patch.ts';
import { applyStrict, appPod, cluster, container, deepFreeze } from './testing.ts';

const context = { ...cluster, namespace: 'shop', workloadAnnotations: {}, namespaceAnnotations: {} };

function injected(decision: Decision): V1Pod {
  if (decision.kind !== 'inject') throw new Error(`expected inject, got ${JSON.stringify(decision)}`);
  return decision.pod;
}

function sidecarOf(pod: V1Pod): V1Container {
  const found = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find(
    (c) => c.name === 'logward-sidecar',
  );
  if (!found) throw new Error('no sidecar');
  return found;
}

/** Every decision's patch must rebuild the mutated pod from the original under a strict applier. */
function expectPatchRebuilds(original: V1Pod, decision: Decision) {
  const mutated = injected(decision);
  const operations = diffPatch(original, mutated);
  expect(operations.every((op) => op.op === 'add')).toBe(true);
  expect(applyStrict(original, operations)).toEqual(JSON.parse(JSON.stringify(mutated)));
}

describe('decide', () => {
  it('adds a size-limited emptyDir, mounts, annotations volume and a native sidecar', () => {
    const original = deepFreeze(appPod());
    const decision = decide(original, context);
    const pod = injected(decision);
    expect(pod.spec?.volumes).toEqual([
      { name: 'logward-logs', emptyDir: { sizeLimit: '1Gi' } },
      {
        name: 'logward-annotations',
        downwardAPI: { items: [{ path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } }] },
      },
    ]);
    expect(pod.spec?.containers[0]?.volumeMounts).toEqual([{ name: 'logward-logs', mountPath: '/log' }]);
    const sidecar = sidecarOf(pod);
    expect(pod.spec?.initContainers).toEqual([sidecar]);
    expect(sidecar).toMatchObject({
      restartPolicy: 'Always',
      image: 'ghcr.io/logward/logward:test',
      args: [
        'sidecar',
        '--dir=/var/logward/logs',
        '--annotations-file=/etc/logward/annotations',
        '--metrics-port=9102',
        '--size-limit=1Gi',
        '--volume-size-limit=1Gi',
      ],
      volumeMounts: [
        { name: 'logward-logs', mountPath: '/var/logward/logs' },
        { name: 'logward-annotations', mountPath: '/etc/logward', readOnly: true },
      ],
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 65532,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      },
      resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { cpu: '1', memory: '160Mi' } },
    });
    expect(pod.metadata?.annotations?.[KEYS.status]).toBe('injected');
    expect(decision.kind === 'inject' && decision.notes).toEqual([
      `the app's user is unknown, so the sidecar runs as 65532 and may be unable to cap live files; set ${KEYS.sidecarRunAsUser} to the uid that writes the logs`,
    ]);
    expectPatchRebuilds(original, decision);
  });

  it('runs the sidecar as the app container user, falling back to the pod-level one', () => {
    const byContainer = decide(
      appPod({
        spec: { containers: [container('app', { securityContext: { runAsUser: 1000, runAsGroup: 3000 } })] },
      }),
      context,
    );
    expect(sidecarOf(injected(byContainer)).securityContext).toMatchObject({
      runAsUser: 1000,
      runAsGroup: 3000,
    });
    const byPod = decide(appPod({ spec: { securityContext: { runAsUser: 2000, fsGroup: 2000 } } }), context);
    expect(sidecarOf(injected(byPod)).securityContext).toMatchObject({ runAsUser: 2000, runAsGroup: 2000 });
    expect(byPod.kind === 'inject' && byPod.notes).toEqual([]);
  });

  it('never runs the sidecar as root, and says what to set', () => {
    const decision = decide(appPod({ spec: { securityContext: { runAsUser: 0 } } }), context);
    expect(sidecarOf(injected(decision)).securityContext?.runAsUser).toBe(65532);
    expect(decision.kind === 'inject' && decision.notes[0]).toMatch(
      /user is root.*logward.io\/sidecar-run-as-user/,
    );
    const fixed = decide(
      appPod({
        annotations: { [KEYS.inject]: 'true', [KEYS.logDir]: '/log', [KEYS.sidecarRunAsUser]: '1001' },
      }),
      context,
    );
    expect(sidecarOf(injected(fixed)).securityContext).toMatchObject({ runAsUser: 1001, runAsGroup: 1001 });
  });

  it('mounts only the listed containers, and names unknown ones with the choices', () => {
    const spec = { containers: [container('app'), container('proxy'), container('worker')] };
    const pod = injected(
      decide(
        appPod({
          annotations: { [KEYS.inject]: 'true', [KEYS.logDir]: '/log', [KEYS.containers]: 'app,worker' },
          spec,
        }),
        context,
      ),
    );
    expect(pod.spec?.containers.map((c) => (c.volumeMounts ?? []).length)).toEqual([1, 0, 1]);
    const bad = decide(
      appPod({
        annotations: { [KEYS.inject]: 'true', [KEYS.logDir]: '/log', [KEYS.containers]: 'app,web' },
        spec,
      }),
      context,
    );
    expect(bad).toEqual({
      kind: 'invalid',
      warnings: [],
      problems: [
        {
          key: KEYS.containers,
          value: 'app,web',
          message:
            'logward.io/containers: "app,web" names "web", not a container of this pod; use some of app, proxy, worker',
        },
      ],
    });
  });

  it('keeps existing init containers and native sidecars first, appending ours', () => {
    const original = deepFreeze(
      appPod({
        spec: {
          initContainers: [container('migrate'), container('mesh-proxy', { restartPolicy: 'Always' })],
        },
      }),
    );
    const decision = decide(original, context);
    expect(injected(decision).spec?.initContainers?.map((c) => c.name)).toEqual([
      'migrate',
      'mesh-proxy',
      'logward-sidecar',
    ]);
    expectPatchRebuilds(original, decision);
  });

  it('adds a classic container when native sidecars are unavailable', () => {
    const decision = decide(appPod(), { ...context, mode: 'classic' });
    const pod = injected(decision);
    expect(pod.spec?.initContainers).toBeUndefined();
    expect(pod.spec?.containers.map((c) => c.name)).toEqual(['app', 'logward-sidecar']);
    expect(sidecarOf(pod).restartPolicy).toBeUndefined();
  });

  it('leaves run-to-completion pods alone in classic mode, and injects them natively', () => {
    const job = appPod({ spec: { restartPolicy: 'OnFailure' } });
    expect(decide(job, { ...context, mode: 'classic' })).toMatchObject({
      kind: 'skip',
      reasons: ['classic_sidecar_blocks_job'],
    });
    expect(decide(job, context).kind).toBe('inject');
  });

  it('avoids volume and port names already taken', () => {
    const original = deepFreeze(
      appPod({
        spec: {
          volumes: [
            { name: 'logward-logs', emptyDir: {} },
            { name: 'logward-annotations', configMap: { name: 'x' } },
          ],
          containers: [container('app', { ports: [{ containerPort: 9102 }, { containerPort: 9103 }] })],
        },
      }),
    );
    const decision = decide(original, context);
    const pod = injected(decision);
    expect(pod.spec?.volumes?.map((v) => v.name)).toEqual([
      'logward-logs',
      'logward-annotations',
      'logward-logs-2',
      'logward-annotations-2',
    ]);
    expect(sidecarOf(pod).ports).toEqual([{ name: 'logward-metrics', containerPort: 9104 }]);
    expectPatchRebuilds(original, decision);
  });

  it('reuses a volume already mounted at log-dir and sets its missing sizeLimit', () => {
    const original = deepFreeze(
      appPod({
        spec: {
          volumes: [{ name: 'logs', emptyDir: {} }],
          containers: [
            container('app', { volumeMounts: [{ name: 'logs', mountPath: '/log/' }] }),
            container('worker'),
          ],
        },
      }),
    );
    const decision = decide(original, context);
    const pod = injected(decision);
    expect(pod.spec?.volumes?.[0]).toEqual({ name: 'logs', emptyDir: { sizeLimit: '1Gi' } });
    expect(pod.spec?.containers[1]?.volumeMounts).toEqual([{ name: 'logs', mountPath: '/log/' }]);
    expect(sidecarOf(pod).volumeMounts?.[0]).toEqual({ name: 'logs', mountPath: '/var/logward/logs' });
    expect(decision.kind === 'inject' && decision.notes.slice(0, 2)).toEqual([
      'reused volume "logs" that container "app" mounts at /log',
      'set sizeLimit 1Gi on emptyDir "logs"',
    ]);
    expectPatchRebuilds(original, decision);
  });

  it('keeps a reused volume sizeLimit and budgets against it, with a warning', () => {
    const decision = decide(
      appPod({
        spec: {
          volumes: [{ name: 'logs', emptyDir: { sizeLimit: '500Mi' } }],
          containers: [
            container('app', { volumeMounts: [{ name: 'logs', mountPath: '/log', subPath: 'app' }] }),
          ],
        },
      }),
      context,
    );
    const pod = injected(decision);
    expect(pod.spec?.volumes?.[0]).toEqual({ name: 'logs', emptyDir: { sizeLimit: '500Mi' } });
    expect(sidecarOf(pod).args).toContain('--size-limit=500Mi');
    expect(sidecarOf(pod).args).toContain('--volume-size-limit=500Mi');
    expect(sidecarOf(pod).volumeMounts?.[0]).toEqual({
      name: 'logs',
      mountPath: '/var/logward/logs',
      subPath: 'app',
    });
    expect(decision.kind === 'inject' && decision.warnings).toEqual([
      'emptyDir "logs" already has sizeLimit 500Mi; Logward keeps it and budgets against it instead of 1Gi',
    ]);
  });

  it.each([
    ['a hostPath volume', { hostPath: { path: '/var/log' } }, {}, 'a hostPath volume'],
    ['a configMap volume', { configMap: { name: 'cfg' } }, {}, 'a configMap volume'],
    ['a secret volume', { secret: { secretName: 's' } }, {}, 'a secret volume'],
    ['a projected volume', { projected: { sources: [] } }, {}, 'a projected volume'],
    [
      'a persistentVolumeClaim',
      { persistentVolumeClaim: { claimName: 'shared' } },
      {},
      'a persistentVolumeClaim volume',
    ],
    [
      'an emptyDir in memory',
      { emptyDir: { medium: 'Memory' } },
      {},
      "an emptyDir with medium Memory (its files count against the pod's memory, not its disk)",
    ],
    ['a read-only emptyDir mount', { emptyDir: {} }, { readOnly: true }, 'read-only'],
  ])('refuses to adopt %s at log-dir, and says why and what to do', (_name, source, mountExtra, why) => {
    const decision = decide(
      appPod({
        spec: {
          volumes: [{ name: 'data', ...source }],
          containers: [
            container('app', { volumeMounts: [{ name: 'data', mountPath: '/log', ...mountExtra }] }),
          ],
        },
      }),
      context,
    );
    const where =
      why === 'read-only'
        ? 'is where container "app" mounts volume "data" read-only'
        : `is where container "app" mounts volume "data", ${why}`;
    expect(decision).toEqual({
      kind: 'invalid',
      warnings: [],
      problems: [
        {
          key: KEYS.logDir,
          value: '/log',
          message: `logward.io/log-dir: "/log" ${where}; Logward manages only an emptyDir on the node's disk, because its sidecar compresses and deletes the files there: point logward.io/log-dir at a directory of its own`,
        },
      ],
    });
  });

  it('reads log-dir "/log/." as /log: the PVC there is refused, not hidden by a second mount', () => {
    const pvc = {
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
      containers: [container('app', { volumeMounts: [{ name: 'data', mountPath: '/log' }] })],
    };
    const decision = decide(
      appPod({ annotations: { [KEYS.inject]: 'true', [KEYS.logDir]: '/log/.' }, spec: pvc }),
      context,
    );
    expect(decision).toMatchObject({ kind: 'invalid', problems: [{ key: KEYS.logDir, value: '/log' }] });
    const clean = injected(
      decide(appPod({ annotations: { [KEYS.inject]: 'true', [KEYS.logDir]: '//log/./' } }), context),
    );
    expect(clean.spec?.containers[0]?.volumeMounts).toEqual([{ name: 'logward-logs', mountPath: '/log' }]);
  });

  it('refuses log-dir where two containers mount different volumes', () => {
    const decision = decide(
      appPod({
        spec: {
          volumes: [
            { name: 'a', emptyDir: {} },
            { name: 'b', emptyDir: {} },
          ],
          containers: [
            container('app', { volumeMounts: [{ name: 'a', mountPath: '/log' }] }),
            container('worker', { volumeMounts: [{ name: 'b', mountPath: '/log/' }] }),
          ],
        },
      }),
      context,
    );
    expect(decision.kind === 'invalid' && decision.problems[0]?.message).toMatch(
      /^logward.io\/log-dir: "\/log" is where containers "app" and "worker" mount different volumes \("a", "b"\);/,
    );
  });

  it('warns that a log volume inside another volume hides part of it', () => {
    const decision = decide(
      appPod({
        annotations: { [KEYS.inject]: 'true', [KEYS.logDir]: '/data/logs' },
        spec: {
          volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
          containers: [container('app', { volumeMounts: [{ name: 'data', mountPath: '/data' }] })],
        },
      }),
      context,
    );
    expect(injected(decision).spec?.containers[0]?.volumeMounts).toEqual([
      { name: 'data', mountPath: '/data' },
      { name: 'logward-logs', mountPath: '/data/logs' },
    ]);
    expect(decision.kind === 'inject' && decision.warnings).toEqual([
      'logward.io/log-dir /data/logs is inside volume "data" that container "app" mounts at /data: the log volume hides what "data" holds at /data/logs',
    ]);
  });

  it('mounts the volume once in a container listed twice, so the pod stays valid', () => {
    const original = deepFreeze(
      appPod({
        annotations: { [KEYS.inject]: 'true', [KEYS.logDir]: '/log', [KEYS.containers]: 'app,app' },
        spec: { containers: [container('app'), container('proxy')] },
      }),
    );
    const decision = decide(original, context);
    const pod = injected(decision);
    expect(pod.spec?.containers.map((c) => c.volumeMounts ?? [])).toEqual([
      [{ name: 'logward-logs', mountPath: '/log' }],
      [],
    ]);
    expectPatchRebuilds(original, decision);
  });

  it('skips Windows pods, by spec.os or by node selector', () => {
    expect(decide(appPod({ spec: { os: { name: 'windows' } } }), context)).toEqual({
      kind: 'skip',
      reasons: ['windows_pod'],
      warnings: [],
    });
    expect(
      decide(appPod({ spec: { nodeSelector: { 'kubernetes.io/os': 'windows' } } }), context),
    ).toMatchObject({ kind: 'skip', reasons: ['windows_pod'] });
    expect(decide(appPod({ spec: { os: { name: 'linux' } } }), context).kind).toBe('inject');
  });

  it('suggests the opt-in key to a pod that misspelt it', () => {
    expect(
      decide(appPod({ annotations: { 'logward.io/injet': 'true', [KEYS.logDir]: '/log' } }), context),
    ).toEqual({
      kind: 'skip',
      reasons: ['not_opted_in'],
      warnings: [
        'logward.io/injet is not a Logward annotation and is ignored; did you mean logward.io/inject?',
      ],
    });
  });

  it('injects a pod whose logward.io/status holds another value, and says it overwrote it', () => {
    const original = deepFreeze(
      appPod({ annotations: { [KEYS.inject]: 'true', [KEYS.logDir]: '/log', [KEYS.status]: 'pending' } }),
    );
    const decision = decide(original, context);
    expect(injected(decision).metadata?.annotations?.[KEYS.status]).toBe('injected');
    expect(decision.kind === 'inject' && decision.warnings).toEqual([
      'logward.io/status: "pending" is Logward\'s to write; it now says "injected"',
    ]);
    const operations = diffPatch(original, injected(decision));
    expect(operations).toContainEqual({
      op: 'replace',
      path: '/metadata/annotations/logward.io~1status',
      value: 'injected',
    });
    expect(applyStrict(original, operations)).toEqual(JSON.parse(JSON.stringify(injected(decision))));
  });

  it('passes a boolean policy flag without a value', () => {
    const decision = decide(
      appPod({ annotations: { [KEYS.inject]: 'true', [KEYS.logDir]: '/log', [KEYS.recursive]: 'true' } }),
      context,
    );
    expect(sidecarOf(injected(decision)).args).toContain('--recursive');
  });

  it('uses an ephemeral metrics port on the host network', () => {
    const decision = decide(appPod({ spec: { hostNetwork: true } }), context);
    const sidecar = sidecarOf(injected(decision));
    expect(sidecar.args).toContain('--metrics-port=0');
    expect(sidecar.ports).toBeUndefined();
  });

  it('opts in through the workload, the pod overriding key by key, and passes both to the sidecar', () => {
    const original = deepFreeze(appPod({ annotations: null }));
    const decision = decide(original, {
      ...context,
      workloadAnnotations: {
        [KEYS.inject]: 'true',
        [KEYS.logDir]: '/data/logs',
        [KEYS.maxAge]: '3d',
        [KEYS.compress]: 'zstd',
      },
    });
    const pod = injected(decision);
    expect(pod.spec?.containers[0]?.volumeMounts).toEqual([
      { name: 'logward-logs', mountPath: '/data/logs' },
    ]);
    expect(sidecarOf(pod).args).toEqual(expect.arrayContaining(['--max-age=3d', '--compress=zstd']));
    expect(pod.metadata?.annotations).toEqual({ [KEYS.status]: 'injected' });
    expectPatchRebuilds(original, decision);
  });

  it('uses cluster defaults for what neither the pod nor the workload says', () => {
    const decision = decide(appPod({ annotations: { [KEYS.inject]: 'true' } }), {
      ...context,
      defaults: { [KEYS.logDir]: '/var/log/app', [KEYS.sizeLimit]: '2Gi' },
    });
    const pod = injected(decision);
    expect(pod.spec?.volumes?.[0]).toEqual({ name: 'logward-logs', emptyDir: { sizeLimit: '2Gi' } });
    expect(pod.spec?.containers[0]?.volumeMounts?.[0]?.mountPath).toBe('/var/log/app');
  });

  it('escapes annotation keys with slashes in the patch', () => {
    const original = deepFreeze(
      appPod({ annotations: { [KEYS.inject]: 'true', [KEYS.logDir]: '/log', 'a~b/c': 'd' } }),
    );
    const operations = diffPatch(original, injected(decide(original, context)));
    expect(operations).toContainEqual({
      op: 'add',
      path: '/metadata/annotations/logward.io~1status',
      value: 'injected',
    });
  });

  it.each([
    ['namespace_excluded', appPod(), { namespace: 'kube-system' }],
    ['not_opted_in', appPod({ annotations: null }), {}],
    [
      'opted_out',
      appPod({ annotations: { [KEYS.inject]: 'false' } }),
      { workloadAnnotations: { [KEYS.inject]: 'true' } },
    ],
    ['already_injected', appPod({ annotations: { [KEYS.inject]: 'true', [KEYS.status]: 'injected' } }), {}],
    ['no_containers', appPod({ spec: { containers: [] } }), {}],
  ])('skips with %s', (reason, pod, extra) => {
    expect(decide(pod, { ...context, ...extra })).toEqual({ kind: 'skip', reasons: [reason], warnings: [] });
  });

  it('refuses invalid annotations, naming key, value and form', () => {
    const decision = decide(
      appPod({ annotations: { [KEYS.inject]: 'true', [KEYS.logDir]: '/log', [KEYS.maxAge]: '7days' } }),
      context,
    );
    expect(decision).toMatchObject({
      kind: 'invalid',
      problems: [
        { key: KEYS.maxAge, message: 'logward.io/max-age: "7days" is not a duration; use e.g. 12h or 7d' },
      ],
    });
  });

  it('injects nothing into its own output', () => {
    const once = injected(decide(appPod(), context));
    expect(decide(once, context)).toMatchObject({ kind: 'skip', reasons: ['already_injected'] });
    const stripped = structuredClone(once);
    delete stripped.metadata?.annotations?.[KEYS.status];
    expect(decide(stripped, context)).toMatchObject({ kind: 'skip', reasons: ['already_injected'] });
  });
});
