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
  return pod.spec!.initContainers!.find((c) => c.name === 'logward-sidecar')!;
}

function problemsOf(decision: Decision): string[] {
  if (decision.kind !== 'invalid') throw new Error(`expected invalid, got ${decision.kind}`);
  return decision.problems.map((p) => p.message);
}

const twoDirs = (logDirs: string, extra: Record<string, string> = {}) => ({
  [KEYS.inject]: 'true',
  [KEYS.logDirs]: logDirs,
  ...extra,
});

describe('decide with logward.io/log-dirs', () => {
  it('adds a size-limited emptyDir per directory, mounted in the app and the sidecar, one --dir each', () => {
    const original = deepFreeze(
      appPod({
        annotations: twoDirs('/var/log/nginx, /app/gc:size-limit=256Mi;max-age=1d', { [KEYS.maxFiles]: '5' }),
        spec: { containers: [container('app'), container('nginx')] },
      }),
    );
    const decision = decide(original, context);
    const pod = injected(decision);
    expect(pod.spec?.volumes?.slice(0, 2)).toEqual([
      { name: 'logward-logs', emptyDir: { sizeLimit: '1Gi' } },
      { name: 'logward-logs-2', emptyDir: { sizeLimit: '256Mi' } },
    ]);
    for (const app of pod.spec!.containers) {
      expect(app.volumeMounts).toEqual([
        { name: 'logward-logs', mountPath: '/var/log/nginx' },
        { name: 'logward-logs-2', mountPath: '/app/gc' },
      ]);
    }
    const sidecar = sidecarOf(pod);
    expect(sidecar.args).toEqual([
      'sidecar',
      '--dir=/var/logward/logs-1:app-dir=/var/log/nginx;volume-size-limit=1Gi',
      '--dir=/var/logward/logs-2:app-dir=/app/gc;volume-size-limit=256Mi;size-limit=256Mi;max-age=1d',
      '--annotations-file=/etc/logward/annotations',
      '--metrics-port=9102',
      '--max-files=5',
    ]);
    expect(sidecar.volumeMounts).toEqual([
      { name: 'logward-logs', mountPath: '/var/logward/logs-1' },
      { name: 'logward-logs-2', mountPath: '/var/logward/logs-2' },
      { name: 'logward-annotations', mountPath: '/etc/logward', readOnly: true },
    ]);
    const operations = diffPatch(original, pod);
    expect(operations.every((op) => op.op === 'add')).toBe(true);
    expect(applyStrict(original, operations)).toEqual(JSON.parse(JSON.stringify(pod)));
  });

  it('mounts a directory only in the containers it names', () => {
    const pod = injected(
      decide(
        appPod({
          annotations: twoDirs('/var/log/nginx:containers=nginx,/app/logs:containers=app'),
          spec: { containers: [container('app'), container('nginx')] },
        }),
        context,
      ),
    );
    expect(pod.spec?.containers.map((c) => [c.name, c.volumeMounts])).toEqual([
      ['app', [{ name: 'logward-logs-2', mountPath: '/app/logs' }]],
      ['nginx', [{ name: 'logward-logs', mountPath: '/var/log/nginx' }]],
    ]);
    // `containers` is the webhook's: the sidecar's --dir does not carry it.
    expect(sidecarOf(pod).args?.filter((a) => a.startsWith('--dir'))).toEqual([
      '--dir=/var/logward/logs-1:app-dir=/var/log/nginx;volume-size-limit=1Gi',
      '--dir=/var/logward/logs-2:app-dir=/app/logs;volume-size-limit=1Gi',
    ]);
  });

  it('names the entry whose containers the pod does not have', () => {
    const decision = decide(
      appPod({ annotations: twoDirs('/var/log/nginx:containers=nginx,/app/logs') }),
      context,
    );
    expect(problemsOf(decision)).toEqual([
      `${KEYS.logDirs} entry "/var/log/nginx": ${KEYS.containers}: "nginx" names "nginx", not a container of this pod; use some of app`,
    ]);
  });

  it('refuses log-dir and log-dirs together, naming both keys', () => {
    const decision = decide(appPod({ annotations: twoDirs('/a,/b', { [KEYS.logDir]: '/log' }) }), context);
    expect(problemsOf(decision)).toEqual([
      `${KEYS.logDir} and ${KEYS.logDirs} are both set; use ${KEYS.logDir} for one directory or ${KEYS.logDirs} for several, not both`,
    ]);
  });

  it('refuses both keys when one comes from the workload and the other from the pod', () => {
    const decision = decide(appPod({ annotations: twoDirs('/a,/b') }), {
      ...context,
      workloadAnnotations: { [KEYS.logDir]: '/log' },
    });
    expect(problemsOf(decision)[0]).toMatch(/are both set/);
  });

  it('lets log-dirs stand in for a cluster default log-dir', () => {
    const pod = injected(
      decide(appPod({ annotations: twoDirs('/a,/b') }), { ...context, defaults: { [KEYS.logDir]: '/log' } }),
    );
    expect(pod.spec?.containers[0]?.volumeMounts?.map((m) => m.mountPath)).toEqual(['/a', '/b']);
  });

  it('adopts the emptyDir the app already mounts at one directory, and adds a volume for the other', () => {
    const pod = injected(
      decide(
        appPod({
          annotations: twoDirs('/app/logs,/app/gc'),
          spec: {
            volumes: [{ name: 'logs', emptyDir: {} }],
            containers: [container('app', { volumeMounts: [{ name: 'logs', mountPath: '/app/logs' }] })],
          },
        }),
        context,
      ),
    );
    expect(pod.spec?.volumes?.slice(0, 2)).toEqual([
      { name: 'logs', emptyDir: { sizeLimit: '1Gi' } },
      { name: 'logward-logs', emptyDir: { sizeLimit: '1Gi' } },
    ]);
    expect(sidecarOf(pod).volumeMounts?.slice(0, 2)).toEqual([
      { name: 'logs', mountPath: '/var/logward/logs-1' },
      { name: 'logward-logs', mountPath: '/var/logward/logs-2' },
    ]);
  });

  it('refuses a directory where the app mounts a hostPath, naming log-dirs', () => {
    const decision = decide(
      appPod({
        annotations: twoDirs('/app/logs,/app/gc'),
        spec: {
          volumes: [{ name: 'node', hostPath: { path: '/var/log' } }],
          containers: [container('app', { volumeMounts: [{ name: 'node', mountPath: '/app/gc' }] })],
        },
      }),
      context,
    );
    expect(problemsOf(decision)).toEqual([
      `${KEYS.logDirs}: "/app/gc" is where container "app" mounts volume "node", a hostPath volume; Logward manages only an emptyDir on the node's disk, because its sidecar compresses and deletes the files there: point ${KEYS.logDirs} at a directory of its own`,
    ]);
  });

  it('refuses two directories on one existing volume: two budgets cannot share one size limit', () => {
    const decision = decide(
      appPod({
        annotations: twoDirs('/app/logs,/app/gc'),
        spec: {
          volumes: [{ name: 'scratch', emptyDir: {} }],
          containers: [
            container('app', {
              volumeMounts: [
                { name: 'scratch', mountPath: '/app/logs', subPath: 'logs' },
                { name: 'scratch', mountPath: '/app/gc', subPath: 'gc' },
              ],
            }),
          ],
        },
      }),
      context,
    );
    expect(problemsOf(decision)[0]).toMatch(
      /^logward\.io\/log-dirs: "\/app\/logs" and "\/app\/gc" are both on volume "scratch"/,
    );
  });

  it('refuses nested, duplicate and unsafe directories, naming each', () => {
    const decision = decide(appPod({ annotations: twoDirs('/app,/app/logs,/etc,/app/') }), context);
    const messages = problemsOf(decision).join('\n');
    expect(messages).toContain('"/app/logs" is inside "/app"');
    expect(messages).toContain('entry "/etc" is the system directory /etc');
    expect(messages).toContain('lists "/app" twice');
  });

  it('keeps the one-directory sidecar exactly as it was for log-dir', () => {
    const pod = injected(decide(appPod(), context));
    expect(sidecarOf(pod).args?.slice(0, 2)).toEqual(['sidecar', '--dir=/var/logward/logs']);
  });
});
