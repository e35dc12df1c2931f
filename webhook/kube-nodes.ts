import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Node, V1Status } from '@kubernetes/client-node';
import type { FastifyBaseLogger } from 'fastify';
import type { KubeClient } from '../kube/client.ts';
import type { NodeKubelet } from './cluster-version.ts';

export interface NodeKubeletsOptions {
  /** Wait before listing again after the API server failed us. */
  retryDelayMs: number;
  /** How long the API server keeps one watch open (it picks a random 5-10 minutes like client-go's reflector). */
  watchSeconds?: () => number;
}

/**
 * Keeps the kubelet version of every node current: one paged list, then a watch from its
 * resourceVersion (resumed where it stopped when the API server ends it, listed again after an
 * error or an expired version). Only names and versions are kept, never whole Node objects,
 * which carry image lists of tens of KiB each. `onChange` gets every node, after the first list
 * and whenever a node comes, goes or changes its kubelet version.
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
  const watchSeconds = options.watchSeconds ?? (() => 300 + Math.floor(Math.random() * 300));
  let versions = new Map<string, string>();
  let resourceVersion: string | undefined;
  const stop = new AbortController();

  const publish = () => onChange([...versions].map(([name, kubeletVersion]) => ({ name, kubeletVersion })));

  const list = async () => {
    const next = new Map<string, string>();
    let continueToken: string | undefined;
    do {
      const query = new URLSearchParams({
        limit: '500',
        ...(continueToken ? { continue: continueToken } : {}),
      });
      const page = await client.request<NodeList>('GET', `/api/v1/nodes?${query}`);
      for (const node of page.items) next.set(node.metadata?.name ?? '', kubeletOf(node));
      continueToken = page.metadata?.continue || undefined;
      resourceVersion = page.metadata?.resourceVersion;
    } while (continueToken);
    versions = next;
    publish();
  };

  const watch = async () => {
    const query = new URLSearchParams({
      watch: 'true',
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(watchSeconds()),
      ...(resourceVersion ? { resourceVersion } : {}),
    });
    await client.watch(
      `/api/v1/nodes?${query}`,
      (type, object) => {
        if (type === 'ERROR') {
          // Typically 410 Gone: our resourceVersion is too old to resume from; list afresh.
          const status = object as V1Status;
          if (status.code !== 410) log.warn({ status: status.message }, 'the node watch ended with an error');
          resourceVersion = undefined;
          return;
        }
        const node = object as V1Node;
        resourceVersion = node.metadata?.resourceVersion ?? resourceVersion;
        if (type === 'BOOKMARK') return;
        const name = node.metadata?.name ?? '';
        const before = versions.get(name);
        if (type === 'DELETED') versions.delete(name);
        else versions.set(name, kubeletOf(node));
        if (versions.get(name) !== before) publish();
      },
      stop.signal,
    );
  };

  const pause = (ms: number) => sleep(ms, undefined, { signal: stop.signal, ref: false }).catch(() => {});
  const retrying = (error: unknown) =>
    log.warn(
      { err: error },
      "could not read the nodes' kubelet versions; keeping the last known and retrying",
    );

  // The API server ends every watch after a while: resume from the last version seen; after an
  // error or a 410, list again.
  const follow = async () => {
    while (!stop.signal.aborted) {
      try {
        if (resourceVersion === undefined) await list();
        const started = Date.now();
        await watch();
        // A watch ended at once, over and over, would spin: at most one a second.
        if (Date.now() - started < 1_000) await pause(1_000);
      } catch (error) {
        if (stop.signal.aborted) return;
        retrying(error);
        resourceVersion = undefined;
        await pause(options.retryDelayMs);
      }
    }
  };

  let failed = false;
  try {
    await list();
  } catch (error) {
    retrying(error);
    failed = true;
  }
  void (async () => {
    if (failed) await pause(options.retryDelayMs);
    await follow();
  })();
  return () => stop.abort();
}

/** A NodeList as JSON (client-node's V1ListMeta spells `continue` as `_continue`). */
interface NodeList {
  items: V1Node[];
  metadata?: { continue?: string; resourceVersion?: string };
}

function kubeletOf(node: V1Node): string {
  return node.status?.nodeInfo?.kubeletVersion ?? '';
}
