import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS } from '../contract/keys.ts';
import { answer, scriptedApiServer, scriptedClient, status, until } from '../kube/testing.ts';
import { type LocalhostTls, localhostTls } from '../test/support/certificates.ts';
import { watchNamespaces } from './kube-namespaces.ts';

let tls: LocalhostTls;
beforeAll(async () => {
  tls = await localhostTls('logward-kube-namespaces-');
});
afterAll(() => tls.remove());

const namespace = (name: string, annotations: Record<string, string>, resourceVersion = '1') => ({
  metadata: { name, resourceVersion, annotations },
});
const line = (type: string, object: unknown) => `${JSON.stringify({ type, object })}\n`;

const silent = pino({ level: 'silent' });

describe("the namespace cache: every Namespace's logward.io annotations", () => {
  it('answers from the list, follows the watch, and reads a namespace it does not hold yet', async () => {
    let sendEvent: ((text: string) => void) | undefined;
    const api = await scriptedApiServer(tls, (seen, res) => {
      const url = new URL(seen.path, 'https://x');
      if (url.pathname === '/api/v1/namespaces' && url.searchParams.get('watch') !== 'true') {
        return answer(res, 200, {
          items: [
            namespace('shop', { [KEYS.inject]: 'true', [KEYS.maxAge]: '3d', 'team.example.com/owner': 'x' }),
            namespace('plain', {}),
          ],
          metadata: { resourceVersion: '10' },
        });
      }
      if (url.pathname === '/api/v1/namespaces') {
        res.writeHead(200, { 'content-type': 'application/json' });
        sendEvent = (text) => res.write(text);
        return;
      }
      if (url.pathname === '/api/v1/namespaces/fresh')
        return answer(res, 200, namespace('fresh', { [KEYS.sizeLimit]: '2Gi' }));
      answer(res, 404, status(404, 'NotFound', 'namespaces "gone" not found'));
    });
    const client = scriptedClient(api.url, tls);
    const cache = await watchNamespaces(client, silent, { retryDelayMs: 50, readTimeoutMs: 2_000 });
    try {
      expect(cache.size()).toBe(2);
      // Only our annotations are kept.
      expect(await cache.lookup('shop')).toEqual({ [KEYS.inject]: 'true', [KEYS.maxAge]: '3d' });
      expect(await cache.lookup('plain')).toEqual({});
      // The same object until the namespace changes.
      expect(await cache.lookup('shop')).toBe(await cache.lookup('shop'));

      await until('the watch', () => sendEvent !== undefined);
      sendEvent!(line('MODIFIED', namespace('shop', { [KEYS.maxAge]: '1d' }, '11')));
      await until('the change', async () => (await cache.lookup('shop'))[KEYS.maxAge] === '1d');
      expect(await cache.lookup('shop')).toEqual({ [KEYS.maxAge]: '1d' });
      sendEvent!(line('DELETED', namespace('plain', {}, '12')));
      await until('the deletion', () => cache.size() === 1);

      const reads = () => api.seen.filter((s) => s.path.startsWith('/api/v1/namespaces/')).length;
      expect(reads()).toBe(0);
      // Created a moment ago, its event not here yet: read by name, not kept.
      expect(await cache.lookup('fresh')).toEqual({ [KEYS.sizeLimit]: '2Gi' });
      expect(await cache.lookup('gone')).toEqual({});
      expect(reads()).toBe(2);
      expect(cache.size()).toBe(1);
    } finally {
      cache.stop();
      client.close();
      await api.close();
    }
  });

  it('reads each namespace by name while it cannot list them, and rejects when that fails too', async () => {
    const api = await scriptedApiServer(tls, (seen, res) => {
      if (seen.path.startsWith('/api/v1/namespaces?'))
        return answer(res, 403, status(403, 'Forbidden', 'namespaces is forbidden: cannot list'));
      if (seen.path === '/api/v1/namespaces/shop')
        return answer(res, 200, namespace('shop', { [KEYS.inject]: 'true' }));
      if (seen.path === '/api/v1/namespaces/slow') return; // never answers
      answer(res, 500, status(500, 'InternalError', 'etcdserver: request timed out'));
    });
    const client = scriptedClient(api.url, tls);
    const cache = await watchNamespaces(client, silent, { retryDelayMs: 60_000, readTimeoutMs: 300 });
    try {
      expect(cache.size()).toBeUndefined();
      expect(await cache.lookup('shop')).toEqual({ [KEYS.inject]: 'true' });
      await expect(cache.lookup('broken')).rejects.toThrow(
        'GET /api/v1/namespaces/broken: 500 InternalError: etcdserver: request timed out',
      );
      await expect(cache.lookup('slow')).rejects.toThrow('reading Namespace slow took longer than 300ms');
    } finally {
      cache.stop();
      client.close();
      await api.close();
    }
  });
});
