import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalhostTls, localhostTls } from '../test/support/certificates.ts';
import { listAndWatch } from './list-watch.ts';
import { answer, scriptedApiServer, scriptedClient, status, until } from './testing.ts';

let tls: LocalhostTls;
beforeAll(async () => {
  tls = await localhostTls('logward-list-watch-');
});
afterAll(() => tls.remove());

const object = (name: string) => ({ metadata: { name, resourceVersion: '5' } });

describe('listAndWatch', () => {
  it('lists afresh after a paged list that failed part-way, instead of watching from its first page', async () => {
    let secondPages = 0;
    const api = await scriptedApiServer(tls, (seen, res) => {
      const url = new URL(seen.path, 'https://x');
      if (url.searchParams.get('watch') === 'true') {
        // Held open with no events: a watch started before a complete list would hide the miss.
        res.writeHead(200, { 'content-type': 'application/json' });
        return;
      }
      if (!url.searchParams.get('continue')) {
        return answer(res, 200, {
          items: [object('a')],
          metadata: { continue: 'page-2', resourceVersion: '5' },
        });
      }
      secondPages += 1;
      if (secondPages === 1) return answer(res, 500, status(500, 'InternalError', 'etcd is unavailable'));
      answer(res, 200, { items: [object('b')], metadata: { resourceVersion: '5' } });
    });
    const client = scriptedClient(api.url, tls);
    const replaced: string[][] = [];
    const failures: unknown[] = [];
    const stop = await listAndWatch(
      client,
      '/api/v1/namespaces',
      {
        replace: (items) => replaced.push(items.map((item) => item.metadata?.name ?? '')),
        apply: () => {},
      },
      { retryDelayMs: 20, watchSeconds: () => 60, failed: (error) => failures.push(error) },
    );
    try {
      expect(failures).toHaveLength(1);
      await until('a complete list', () => replaced.length > 0);
      expect(replaced).toEqual([['a', 'b']]);
    } finally {
      stop();
      await api.close();
    }
  });
});
