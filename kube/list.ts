import type { KubeClient } from './client.ts';

// A whole collection, read in pages of 500 (as kubectl does) so a large cluster never answers
// one huge list.

/** A list as JSON (client-node's V1ListMeta spells `continue` as `_continue`). */
interface ListOf<T> {
  items: T[];
  metadata?: { continue?: string; resourceVersion?: string };
}

/**
 * Every object of the collection at `path` (`/api/v1/namespaces`), and the resourceVersion a
 * watch resumes from: the last page's, known only once every page has been read.
 */
export async function listAll<T>(
  client: KubeClient,
  path: string,
): Promise<{ items: T[]; resourceVersion: string | undefined }> {
  const items: T[] = [];
  let continueToken: string | undefined;
  let resourceVersion: string | undefined;
  do {
    const query = new URLSearchParams({
      limit: '500',
      ...(continueToken ? { continue: continueToken } : {}),
    });
    const page = await client.request<ListOf<T>>('GET', `${path}?${query}`);
    items.push(...page.items);
    continueToken = page.metadata?.continue || undefined;
    resourceVersion = page.metadata?.resourceVersion;
  } while (continueToken);
  return { items, resourceVersion };
}
