import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeClient } from './client.ts';
import { listAll } from './list.ts';

// client-go's reflector, as far as a small cache needs it: one paged list, then a watch from
// its resourceVersion, resumed where it stopped when the API server ends it (every few
// minutes), listed again after an error or an expired version (410 Gone).

/** An object as a list or watch carries it, as far as the loop reads it. */
export interface Listed {
  metadata?: { name?: string; resourceVersion?: string };
}

export interface ListWatchHandlers<T extends Listed> {
  /** Every object, after each (re)list: the cache is replaced by these. */
  replace(items: T[]): void;
  /** One change the watch saw. */
  apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: T): void;
}

export interface ListWatchOptions {
  /** Wait before listing again after the API server failed us. */
  retryDelayMs: number;
  /** How long the API server keeps one watch open (a random 5-10 minutes by default, like client-go's). */
  watchSeconds?: () => number;
  /** Told when a list or watch fails: the loop keeps what it had and retries. */
  failed(error: unknown): void;
  /** Told of an ERROR event other than 410 Gone, which only means "list again". */
  watchError?(message: string | undefined): void;
}

/**
 * Follows the collection at `path` (`/api/v1/namespaces`) until the returned function is
 * called. Resolves once the first list has been tried, so the caller starts with the cluster as
 * it is; when that list failed, `replace` has not been called and the loop retries.
 */
export async function listAndWatch<T extends Listed>(
  client: KubeClient,
  path: string,
  handlers: ListWatchHandlers<T>,
  options: ListWatchOptions,
): Promise<() => void> {
  const watchSeconds = options.watchSeconds ?? (() => 300 + Math.floor(Math.random() * 300));
  let resourceVersion: string | undefined;
  const stop = new AbortController();

  const list = async () => {
    // Set only from a complete list: a version from a list that failed part-way would have the
    // loop watch from it, never having replaced the cache.
    const listed = await listAll<T>(client, path);
    resourceVersion = listed.resourceVersion;
    handlers.replace(listed.items);
  };

  const watch = async () => {
    const query = new URLSearchParams({
      watch: 'true',
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(watchSeconds()),
      ...(resourceVersion ? { resourceVersion } : {}),
    });
    await client.watch(
      `${path}?${query}`,
      (type, object) => {
        if (type === 'ERROR') {
          // Typically 410 Gone: our resourceVersion is too old to resume from; list afresh.
          const status = object as { code?: number; message?: string };
          if (status.code !== 410) options.watchError?.(status.message);
          resourceVersion = undefined;
          return;
        }
        const item = object as T;
        resourceVersion = item.metadata?.resourceVersion ?? resourceVersion;
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') handlers.apply(type, item);
      },
      stop.signal,
    );
  };

  const pause = (ms: number) => sleep(ms, undefined, { signal: stop.signal, ref: false }).catch(() => {});

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
        options.failed(error);
        resourceVersion = undefined;
        await pause(options.retryDelayMs);
      }
    }
  };

  let failed = false;
  try {
    await list();
  } catch (error) {
    options.failed(error);
    failed = true;
  }
  void (async () => {
    if (failed) await pause(options.retryDelayMs);
    await follow();
  })();
  return () => stop.abort();
}
