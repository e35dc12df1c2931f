import { describe, expect, it } from 'vitest';
import { KEYS } from '../contract/keys.ts';
import { subjectOf } from './subject.ts';
import { appPod as pod } from './testing.ts';
import type { KubeObject } from './workloads.ts';

const appPod = () => pod() as KubeObject;

const template = { metadata: { annotations: { [KEYS.logDir]: '/log' } }, spec: { containers: [] } };

describe('subjectOf: what a decision is about', () => {
  it('decides a v1 Pod as itself, its owner not known yet', () => {
    const pod = appPod();
    const subject = subjectOf(pod)!;
    expect(subject.pod).toBe(pod);
    expect(subject).toMatchObject({
      namespace: 'shop',
      workloadAnnotations: {},
      name: 'Pod shop/going-7d9f-*',
    });
    expect(subject.withPod(subject.pod)).toBe(pod);
  });

  it('decides a workload through its template, with its own annotations as the owner', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop', annotations: { [KEYS.inject]: 'true' } },
      spec: { template },
    };
    const subject = subjectOf(deployment)!;
    expect(subject.pod).toEqual({ metadata: template.metadata, spec: template.spec });
    expect(subject.workloadAnnotations).toEqual({ [KEYS.inject]: 'true' });
    expect(subject.name).toBe('Deployment shop/web');
    const changed = { metadata: { annotations: { a: 'b' } }, spec: { containers: [{ name: 'x' }] } };
    expect(subject.withPod(changed)).toEqual({ ...deployment, spec: { template: changed } });
    // A copy: the object as read stays as it was.
    expect(deployment.spec.template).toBe(template);
  });

  it("reads a CronJob's template two levels down and its job template's annotations as its own", () => {
    const subject = subjectOf({
      kind: 'CronJob',
      metadata: { name: 'report', annotations: { [KEYS.inject]: 'true', [KEYS.maxAge]: '1d' } },
      spec: { jobTemplate: { metadata: { annotations: { [KEYS.maxAge]: '2d' } }, spec: { template } } },
    })!;
    expect(subject.pod.metadata).toEqual(template.metadata);
    expect(subject.workloadAnnotations).toEqual({ [KEYS.inject]: 'true', [KEYS.maxAge]: '2d' });
  });

  it('takes the kind and namespace an admission request was sent for', () => {
    const subject = subjectOf({ metadata: { name: 'p' }, spec: { containers: [] } }, 'Pod', 'shop');
    expect(subject).toMatchObject({ namespace: 'shop', name: 'object shop/p' });
  });

  it('has nothing to decide for other kinds, other Pod versions and workloads without a template', () => {
    expect(subjectOf({ kind: 'ConfigMap', metadata: { name: 'c' } })).toBeUndefined();
    expect(subjectOf({ apiVersion: 'v2', kind: 'Pod', metadata: { name: 'p' } })).toBeUndefined();
    expect(subjectOf({ kind: 'Deployment', metadata: { name: 'd' }, spec: {} })).toBeUndefined();
    // Names of Object.prototype are not workload kinds.
    expect(subjectOf({ kind: 'constructor', metadata: { name: 'x' } })).toBeUndefined();
  });

  it('knows whether a controller owns the object', () => {
    const owned = appPod();
    owned.metadata!.ownerReferences = [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'going-7d9f', uid: 'u', controller: true },
    ];
    expect(subjectOf(owned)!.controlled).toBe(true);
    expect(subjectOf(appPod())!.controlled).toBe(false);
  });
});
