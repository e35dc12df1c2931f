import type { V1Node } from '@kubernetes/client-node';
import type { FastifyBaseLogger } from 'fastify';
import type { KubeClient } from '../kube/client.ts';
import { listAndWatch } from '../kube/list-watch.ts';
import type { NodeKubelet } from './cluster-version.ts';

export interface NodeKubeletsOptions {
  /** Wait before listing again after the API server failed us. */
  retryDelayMs: number;
  /** How long the API server keeps one watch open (it picks a random 5-10 minutes like client-go's reflector). */
  watchSeconds?: () => number;
}

/**
 * Keeps the kubelet version of every node current, listed and then watched (kube/list-watch.ts).
 * Only names and versions are kept, never whole Node objects, which carry image lists of tens
 * of KiB each. `onChange` gets every node, after the first list and whenever a node comes, goes
 * or changes its kubelet version.
 *
 * Resolves once the first list has been tried, so the caller starts with the cluster as it is;
 * returns what stops the watch.
 */
export async function watchNodeKubelets(
  client: KubeClient,
  onChange: (nodes: NodeKubelet[]) => void,
  log: FastifyBaseLogger,
  options: NodeKubeletsOptions = { retryDelayMs: 5_000 },
): Promise<() => void> {
  let versions = new Map<string, string>();
  const publish = () => onChange([...versions].map(([name, kubeletVersion]) => ({ name, kubeletVersion })));
  return await listAndWatch<V1Node>(
    client,
    '/api/v1/nodes',
    {
      replace(nodes) {
        versions = new Map(nodes.map((node) => [node.metadata?.name ?? '', kubeletOf(node)]));
        publish();
      },
      apply(type, node) {
        const name = node.metadata?.name ?? '';
        const before = versions.get(name);
        if (type === 'DELETED') versions.delete(name);
        else versions.set(name, kubeletOf(node));
        if (versions.get(name) !== before) publish();
      },
    },
    {
      ...options,
      failed: (error) =>
        log.warn(
          { err: error },
          "could not read the nodes' kubelet versions; keeping the last known and retrying",
        ),
      watchError: (message) => log.warn({ status: message }, 'the node watch ended with an error'),
    },
  );
}

function kubeletOf(node: V1Node): string {
  return node.status?.nodeInfo?.kubeletVersion ?? '';
}
