import type { KubeConfig, V1Node } from '@kubernetes/client-node';
import type { FastifyBaseLogger } from 'fastify';
import type { NodeKubelet } from './cluster-version.ts';

export interface NodeKubeletsOptions {
  /** Wait before listing again after the API server failed us. */
  retryDelayMs: number;
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
  kubeConfig: KubeConfig,
  onChange: (nodes: NodeKubelet[]) => void,
  log: FastifyBaseLogger,
  options: NodeKubeletsOptions = { retryDelayMs: 5_000 },
): Promise<() => void> {
  // Loaded here: without cluster credentials, the client is never needed.
  const { CoreV1Api, Watch } = await import('@kubernetes/client-node');
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const watcher = new Watch(kubeConfig);
  let versions = new Map<string, string>();
  let resourceVersion: string | undefined;
  let stopped = false;
  let abort: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;

  const publish = () => onChange([...versions].map(([name, kubeletVersion]) => ({ name, kubeletVersion })));

  const list = async () => {
    const next = new Map<string, string>();
    let continueToken: string | undefined;
    do {
      const page = await core.listNode({ limit: 500, _continue: continueToken });
      for (const node of page.items) next.set(node.metadata?.name ?? '', kubeletOf(node));
      continueToken = page.metadata?._continue || undefined;
      resourceVersion = page.metadata?.resourceVersion;
    } while (continueToken);
    versions = next;
    publish();
  };

  const retry = (error: unknown) => {
    if (stopped) return;
    log.warn(
      { err: error },
      "could not read the nodes' kubelet versions; keeping the last known and retrying",
    );
    timer = setTimeout(() => void start(true), options.retryDelayMs).unref();
  };

  const watch = async () => {
    abort = await watcher.watch(
      '/api/v1/nodes',
      { resourceVersion, allowWatchBookmarks: true },
      (phase: string, object: V1Node & { code?: number }) => {
        if (phase === 'ERROR') {
          // Typically 410 Gone: our resourceVersion is too old to resume from; list afresh.
          resourceVersion = undefined;
          abort?.abort();
          return;
        }
        resourceVersion = object.metadata?.resourceVersion ?? resourceVersion;
        if (phase === 'BOOKMARK') return;
        const name = object.metadata?.name ?? '';
        const before = versions.get(name);
        if (phase === 'DELETED') versions.delete(name);
        else versions.set(name, kubeletOf(object));
        if (versions.get(name) !== before) publish();
      },
      (error: unknown) => {
        if (stopped) return;
        // The API server ends every watch after a while: resume; after an error, list again.
        if (error || resourceVersion === undefined) retry(error ?? new Error('watch expired'));
        else void watch().catch(retry);
      },
    );
  };

  const start = async (relist: boolean) => {
    try {
      if (relist || resourceVersion === undefined) await list();
      await watch();
    } catch (error) {
      retry(error);
    }
  };

  await start(true);
  return () => {
    stopped = true;
    clearTimeout(timer);
    abort?.abort();
  };
}

function kubeletOf(node: V1Node): string {
  return node.status?.nodeInfo?.kubeletVersion ?? '';
}
