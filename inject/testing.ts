import type { V1Container, V1Pod } from '@kubernetes/client-node';
import fastJsonPatch, { type Operation } from 'fast-json-patch';
import { KEYS } from '../contract/keys.ts';
import type { ClusterContext } from './cluster-context.ts';

export const cluster: ClusterContext = {
  defaults: {},
  excludedNamespaces: new Set(['kube-system', 'kube-public', 'kube-node-lease', 'logward-system']),
  image: { image: 'ghcr.io/logward/logward:test', pullPolicy: 'IfNotPresent' },
  mode: 'native',
};

export function container(name: string, extra: Partial<V1Container> = {}): V1Container {
  return { name, image: `example.com/${name}:1`, ...extra };
}

/** A pod as the ReplicaSet controller would send it, opted in unless told otherwise. */
export function appPod(
  extra: { annotations?: Record<string, string> | null; spec?: Partial<V1Pod['spec']> } = {},
): V1Pod {
  const annotations =
    extra.annotations === null
      ? undefined
      : (extra.annotations ?? { [KEYS.inject]: 'true', [KEYS.logDir]: '/log' });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'going-7d9f-',
      namespace: 'shop',
      labels: { app: 'going' },
      ...(annotations ? { annotations } : {}),
    },
    spec: { containers: [container('app')], ...extra.spec },
  };
}

/** RFC 6902 applied strictly: every operation validated, the input left untouched. */
export function applyStrict<T>(document: T, operations: Operation[]): T {
  return fastJsonPatch.applyPatch(document, operations, true, false).newDocument;
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
