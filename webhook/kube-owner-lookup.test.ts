import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { KEYS } from '../contract/keys.ts';
import { ownerLookupWith } from './kube-owner-lookup.ts';

const ref = (apiVersion: string, kind: string, name: string) => ({
  apiVersion,
  kind,
  name,
  uid: name,
  controller: true,
});

const objects: Record<string, KubernetesObject> = {
  'apps/v1/ReplicaSet/going-5d8f': {
    metadata: {
      name: 'going-5d8f',
      annotations: { [KEYS.maxAge]: '1d' },
      ownerReferences: [ref('apps/v1', 'Deployment', 'going')],
    },
  },
  'apps/v1/Deployment/going': {
    metadata: { name: 'going', annotations: { [KEYS.inject]: 'true', [KEYS.maxAge]: '3d' } },
  },
  'apps/v1/ReplicaSet/bare': { metadata: { name: 'bare', annotations: { [KEYS.inject]: 'true' } } },
  'batch/v1/Job/report-1': {
    metadata: {
      name: 'report-1',
      annotations: { [KEYS.maxAge]: '9d' },
      ownerReferences: [ref('batch/v1', 'CronJob', 'report')],
    },
  },
  'batch/v1/CronJob/report': {
    metadata: { name: 'report', annotations: { [KEYS.inject]: 'true' } },
    spec: { jobTemplate: { metadata: { annotations: { [KEYS.maxAge]: '2d' } } } },
  } as KubernetesObject,
};

function lookup(timeoutMs = 1000) {
  const reads: string[] = [];
  const fn = ownerLookupWith(async (r) => {
    const key = `${r.apiVersion}/${r.kind}/${r.name}`;
    reads.push(key);
    if (r.name === 'slow') await new Promise((resolve) => setTimeout(resolve, 200));
    return objects[key];
  }, timeoutMs);
  return { fn, reads };
}

const pod = (...owners: ReturnType<typeof ref>[]): V1Pod => ({
  metadata: { namespace: 'shop', ownerReferences: owners },
});

describe('owner lookup', () => {
  it("takes the Deployment's settings, not the stale copies the controller left on its ReplicaSet", async () => {
    const { fn, reads } = lookup();
    expect(await fn(pod(ref('apps/v1', 'ReplicaSet', 'going-5d8f')), 'shop')).toEqual({
      [KEYS.inject]: 'true',
      [KEYS.maxAge]: '3d',
    });
    expect(reads).toEqual(['apps/v1/ReplicaSet/going-5d8f', 'apps/v1/Deployment/going']);
    // An opt-in removed from the Deployment is gone, whatever the ReplicaSet still carries.
    objects['apps/v1/Deployment/going'] = { metadata: { name: 'going' } };
    try {
      expect(await fn(pod(ref('apps/v1', 'ReplicaSet', 'going-5d8f')), 'shop')).toEqual({});
    } finally {
      objects['apps/v1/Deployment/going'] = {
        metadata: { name: 'going', annotations: { [KEYS.inject]: 'true', [KEYS.maxAge]: '3d' } },
      };
    }
  });

  it("takes a ReplicaSet's own settings when no Deployment owns it", async () => {
    expect(await lookup().fn(pod(ref('apps/v1', 'ReplicaSet', 'bare')), 'shop')).toEqual({
      [KEYS.inject]: 'true',
    });
  });

  it('walks Job -> CronJob, reading the CronJob and its job template', async () => {
    expect(await lookup().fn(pod(ref('batch/v1', 'Job', 'report-1')), 'shop')).toEqual({
      [KEYS.inject]: 'true',
      [KEYS.maxAge]: '2d',
    });
  });

  it('does not follow kinds it has no business reading, nor non-controller refs', async () => {
    const { fn, reads } = lookup();
    expect(await fn(pod(ref('example.com/v1', 'Widget', 'w')), 'shop')).toEqual({});
    expect(
      await fn(pod({ ...ref('apps/v1', 'ReplicaSet', 'going-5d8f'), controller: false }), 'shop'),
    ).toEqual({});
    expect(reads).toEqual([]);
  });

  it('stops at a missing owner', async () => {
    expect(await lookup().fn(pod(ref('apps/v1', 'ReplicaSet', 'gone')), 'shop')).toEqual({});
  });

  it('rejects when the chain takes longer than its budget', async () => {
    await expect(lookup(50).fn(pod(ref('apps/v1', 'ReplicaSet', 'slow')), 'shop')).rejects.toThrow(
      'owner lookup took longer than 50ms',
    );
  });
});
