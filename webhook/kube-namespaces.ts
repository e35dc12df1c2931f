import type { V1Namespace } from '@kubernetes/client-node';
import type { FastifyBaseLogger } from 'fastify';
import { isOurKey } from '../contract/keys.ts';
import type { RawAnnotations } from '../contract/policy.ts';
import type { KubeClient } from '../kube/client.ts';
import { listAndWatch } from '../kube/list-watch.ts';
import type { NamespaceLookup } from './namespace-lookup.ts';

export interface NamespaceCacheOptions {
  /** Wait before listing again after the API server failed us. */
  retryDelayMs: number;
  watchSeconds?: () => number;
  /** Budget to read one Namespace the cache does not hold; admission has a few seconds in all. */
  readTimeoutMs: number;
}

export interface NamespaceCache {
  lookup: NamespaceLookup;
  /** How many namespaces the cache holds; undefined until the first list has answered. */
  size(): number | undefined;
  stop(): void;
}

/**
 * Every Namespace's logward.io/ annotations, listed and then watched (kube/list-watch.ts), so a
 * pod's review costs no request for its namespace. Only our annotations are kept, one frozen
 * object per namespace, replaced when the namespace changes.
 *
 * A namespace the cache does not hold is read from the API server within `readTimeoutMs`: one
 * created a moment ago whose event has not arrived, or every namespace while the first list has
 * not answered (RBAC missing, the API server away). That read is not kept, so it can never undo
 * a newer event. When it fails, the lookup rejects and the pod is left as if Logward were absent
 * (decide.ts): its namespace might have opted it out, or set a larger size limit.
 *
 * Resolves once the first list has been tried.
 */
export async function watchNamespaces(
  client: KubeClient,
  log: FastifyBaseLogger,
  options: NamespaceCacheOptions = { retryDelayMs: 5_000, readTimeoutMs: 2_000 },
): Promise<NamespaceCache> {
  let annotations: Map<string, RawAnnotations> | undefined;
  const stop = await listAndWatch<V1Namespace>(
    client,
    '/api/v1/namespaces',
    {
      replace(namespaces) {
        annotations = new Map(
          namespaces.map((namespace) => [namespace.metadata?.name ?? '', ours(namespace)]),
        );
      },
      apply(type, namespace) {
        const name = namespace.metadata?.name ?? '';
        if (type === 'DELETED') annotations?.delete(name);
        else annotations?.set(name, ours(namespace));
      },
    },
    {
      ...options,
      failed: (error) =>
        log.warn(
          { err: error },
          'could not list or watch the namespaces; reading each one when a pod needs it, and retrying',
        ),
      watchError: (message) => log.warn({ status: message }, 'the namespace watch ended with an error'),
    },
  );

  const read = async (name: string): Promise<RawAnnotations> => {
    const namespace = await withTimeout(
      client.read<V1Namespace>(`/api/v1/namespaces/${encodeURIComponent(name)}`),
      options.readTimeoutMs,
      name,
    );
    // A pod is never created in a namespace that does not exist; if it is gone, it has no defaults.
    return namespace ? ours(namespace) : {};
  };

  return {
    lookup: async (name) => annotations?.get(name) ?? (await read(name)),
    size: () => annotations?.size,
    stop,
  };
}

function ours(namespace: V1Namespace): RawAnnotations {
  return Object.freeze(
    Object.fromEntries(
      Object.entries(namespace.metadata?.annotations ?? {}).filter(([key]) => isOurKey(key)),
    ),
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`reading Namespace ${name} took longer than ${ms}ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
