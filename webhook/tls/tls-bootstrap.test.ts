import { once } from 'node:events';
import { connect, createServer } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { certificateFacts, issuedBy, serviceDnsNames } from './certificates.ts';
import {
  CA_RENEW_BEFORE_MS,
  type CertificateStore,
  caBundle,
  ensureCertificates,
  planRenewal,
  renew,
  SERVING_RENEW_BEFORE_MS,
  type StoredCertificates,
} from './tls-bootstrap.ts';

const DAY = 86_400_000;
const names = serviceDnsNames('logward-webhook', 'logward-system');
const t0 = Date.parse('2026-11-30T00:00:00Z');

/** A Secret in memory with resourceVersions, like the API server's optimistic concurrency. */
function memoryStore(): CertificateStore & { writes: number; data?: StoredCertificates } {
  let version = 0;
  const store = {
    writes: 0,
    data: undefined as StoredCertificates | undefined,
    async read() {
      return store.data ? { stored: store.data, version: String(version) } : {};
    },
    async write(stored: StoredCertificates, expected: string | undefined) {
      if ((expected === undefined && store.data) || (expected !== undefined && expected !== String(version)))
        return false;
      store.data = stored;
      version++;
      store.writes++;
      return true;
    },
  };
  return store;
}

describe('built-in certificates', () => {
  it('issues a serving certificate for every Service name, chained to its CA, usable for TLS', async () => {
    const stored = await renew(undefined, { kind: 'create' }, names, t0);
    expect(certificateFacts(stored.serving.cert).hosts).toEqual(names);
    const withIp = await renew(undefined, { kind: 'create' }, [...names, '127.0.0.1'], t0);
    expect(certificateFacts(withIp.serving.cert).hosts).toEqual([...names, '127.0.0.1']);
    expect(issuedBy(stored.serving.cert, stored.ca.cert)).toBe(true);

    const server = createServer({ cert: stored.serving.cert, key: stored.serving.key }, (socket) =>
      socket.end('ok'),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as { port: number };
      const socket = connect({
        host: '127.0.0.1',
        port,
        servername: 'logward-webhook.logward-system.svc',
        ca: caBundle(stored, t0),
      });
      await once(socket, 'secureConnect');
      expect(socket.authorized).toBe(true);
      socket.destroy();
      const stranger = await renew(undefined, { kind: 'create' }, names, t0);
      const refused = connect({ host: '127.0.0.1', port, servername: names[0], ca: stranger.ca.cert });
      const [error] = await once(refused, 'error');
      expect((error as NodeJS.ErrnoException).code).toMatch(
        /UNABLE_TO_VERIFY|SELF_SIGNED|UNABLE_TO_GET_ISSUER/,
      );
    } finally {
      server.close();
    }
  });

  it('plans: create, keep, renew serving ahead of expiry or on new names, rotate an expiring CA', async () => {
    const stored = await renew(undefined, { kind: 'create' }, names, t0);
    expect(planRenewal(undefined, names, t0)).toEqual({ kind: 'create' });
    expect(planRenewal(stored, names, t0 + 100 * DAY)).toEqual({ kind: 'keep' });
    const servingEnd = certificateFacts(stored.serving.cert).notAfter;
    expect(planRenewal(stored, names, servingEnd - SERVING_RENEW_BEFORE_MS + DAY).kind).toBe('issue-serving');
    expect(planRenewal(stored, [...names, 'logward.example.com'], t0)).toMatchObject({
      kind: 'issue-serving',
      why: 'the serving certificate lacks logward.example.com',
    });
    const caEnd = certificateFacts(stored.ca.cert).notAfter;
    expect(planRenewal(stored, names, caEnd - CA_RENEW_BEFORE_MS + DAY).kind).toBe('rotate-ca');
    const foreign = await renew(undefined, { kind: 'create' }, names, t0);
    expect(planRenewal({ ...stored, serving: foreign.serving }, names, t0)).toMatchObject({
      kind: 'issue-serving',
    });
  });

  it('keeps the old CA in the bundle after a rotation until it expires', async () => {
    const stored = await renew(undefined, { kind: 'create' }, names, t0);
    const caEnd = certificateFacts(stored.ca.cert).notAfter;
    const rotatedAt = caEnd - CA_RENEW_BEFORE_MS + DAY;
    const rotated = await renew(stored, { kind: 'rotate-ca', why: 'test' }, names, rotatedAt);
    expect(rotated.previousCa).toBe(stored.ca.cert);
    expect(issuedBy(rotated.serving.cert, rotated.ca.cert)).toBe(true);
    const bundle = caBundle(rotated, rotatedAt);
    expect(bundle).toContain(rotated.ca.cert.trim());
    expect(bundle).toContain(stored.ca.cert.trim());
    expect(caBundle(rotated, caEnd + DAY)).not.toContain(stored.ca.cert.trim());
    // A serving renewal later keeps the CA and its predecessor.
    const renewed = await renew(rotated, { kind: 'issue-serving', why: 'test' }, names, rotatedAt + DAY);
    expect(renewed.ca).toEqual(rotated.ca);
    expect(renewed.previousCa).toBe(stored.ca.cert);
  });

  it('lets replicas race: one writes, every replica ends up serving the same chain', async () => {
    const store = memoryStore();
    const bundles: string[] = [];
    const publish = async (bundle: string) => {
      bundles.push(bundle);
      return { patched: 1, missing: [] };
    };
    const results = await Promise.all(
      [1, 2, 3].map(() => ensureCertificates(store, publish, names, () => t0)),
    );
    expect(store.writes).toBe(1);
    expect(new Set(results.map((r) => r.stored.serving.cert)).size).toBe(1);
    expect(results.filter((r) => r.change === 'created')).toHaveLength(1);
    expect(new Set(bundles)).toEqual(new Set([caBundle(store.data!, t0)]));

    const later = await ensureCertificates(store, publish, names, () => t0 + 300 * DAY);
    expect(later.change).toMatch(/^renewed serving certificate: the serving certificate expires/);
    expect(store.writes).toBe(2);
  });
});
