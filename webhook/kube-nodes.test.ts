import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answer, scriptedApiServer, scriptedClient, status, until } from '../kube/testing.ts';
import { type LocalhostTls, localhostTls } from '../test/support/certificates.ts';
import type { NodeKubelet } from './cluster-version.ts';
import { watchNodeKubelets } from './kube-nodes.ts';

let tls: LocalhostTls;
beforeAll(async () => {
  tls = await localhostTls('logward-kube-nodes-');
});
afterAll(() => tls.remove());

const node = (name: string, kubeletVersion: string, resourceVersion = '1') => ({
  metadata: { name, resourceVersion },
  status: { nodeInfo: { kubeletVersion } },
});
const line = (type: string, object: unknown) => `${JSON.stringify({ type, object })}\n`;

describe("following the nodes' kubelet versions", () => {
  it('lists page by page, follows the watch, and lists again when its version has expired (410)', async () => {
    let lists = 0;
    const api = await scriptedApiServer(tls, (seen, res) => {
      const url = new URL(seen.path, 'https://x');
      if (url.searchParams.get('watch') !== 'true') {
        lists++;
        if (lists === 1 && !url.searchParams.has('continue'))
          return answer(res, 200, {
            items: [node('a', 'v1.30.2')],
            metadata: { continue: 'page2', resourceVersion: '9' },
          });
        if (lists === 2)
          return answer(res, 200, { items: [node('b', 'v1.28.9')], metadata: { resourceVersion: '10' } });
        return answer(res, 200, {
          items: [node('a', 'v1.30.2'), node('b', 'v1.30.1'), node('c', 'v1.31.0')],
          metadata: { resourceVersion: '20' },
        });
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      if (url.searchParams.get('resourceVersion') === '10') {
        res.write(line('MODIFIED', node('b', 'v1.29.0', '11')));
        res.write(line('BOOKMARK', { metadata: { resourceVersion: '12' } }));
        res.end(line('ERROR', status(410, 'Expired', 'too old resource version: 12 (15)')));
      }
      // The watch after the second list stays open until the test stops it.
    });
    const changes: NodeKubelet[][] = [];
    const client = scriptedClient(api.url, tls);
    const stop = await watchNodeKubelets(client, (nodes) => changes.push(nodes), pino({ level: 'silent' }), {
      retryDelayMs: 50,
    });
    try {
      // Resolved after the first (paged) list: the caller starts with the cluster as it is.
      expect(changes).toEqual([
        [
          { name: 'a', kubeletVersion: 'v1.30.2' },
          { name: 'b', kubeletVersion: 'v1.28.9' },
        ],
      ]);
      await until('the list after the 410', () => changes.length === 3);
      expect(changes.slice(1)).toEqual([
        [
          { name: 'a', kubeletVersion: 'v1.30.2' },
          { name: 'b', kubeletVersion: 'v1.29.0' },
        ],
        [
          { name: 'a', kubeletVersion: 'v1.30.2' },
          { name: 'b', kubeletVersion: 'v1.30.1' },
          { name: 'c', kubeletVersion: 'v1.31.0' },
        ],
      ]);
      await until('the second watch', () => api.seen.length === 5);
      const query = api.seen.map((s) => new URL(s.path, 'https://x').searchParams);
      expect(query.map((q) => [q.get('watch'), q.get('continue'), q.get('resourceVersion')])).toEqual([
        [null, null, null],
        [null, 'page2', null],
        ['true', null, '10'],
        [null, null, null],
        ['true', null, '20'],
      ]);
    } finally {
      stop();
      client.close();
      await api.close();
    }
  });
});
