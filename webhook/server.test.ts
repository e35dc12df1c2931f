import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { V1Pod } from '@kubernetes/client-node';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS } from '../contract/keys.ts';
import {
  type Authority,
  type Issued,
  issue,
  type LocalhostTls,
  localhostTls,
} from '../test/support/certificates.ts';
import { createWebhookMetrics } from './metrics.ts';
import type { OwnerLookup } from './owner-lookup.ts';
import type { AdmissionReview } from './review.ts';
import { buildServers, type Servers } from './server.ts';
import { applyStrict, cluster } from './testing.ts';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));

let tls: LocalhostTls;
let ca: Authority;
let serving: Issued;
beforeAll(async () => {
  tls = await localhostTls('logward-webhook-');
  ({ ca, serving } = tls);
});
afterAll(() => tls.remove());

function servers(lookupOwner: OwnerLookup = async () => ({})): Servers {
  return buildServers({
    tls: serving,
    logger: pino({ level: 'silent' }),
    cluster,
    lookupOwner,
    metrics: createWebhookMetrics(),
  });
}

async function review(s: Servers, url: string, body: unknown) {
  const response = await s.admission.inject({ method: 'POST', url, payload: body as object });
  return { status: response.statusCode, body: response.json() };
}

function decodePatch(review: AdmissionReview) {
  return JSON.parse(Buffer.from(review.response?.patch ?? 'W10=', 'base64').toString());
}

describe('POST /mutate', () => {
  it('answers the golden review with the golden add-only patch', async () => {
    const s = servers();
    const input = fixture('pod-review.json');
    const { status, body } = await review(s, '/mutate', input);
    expect(status).toBe(200);
    expect(body.response).toMatchObject({ uid: input.request.uid, allowed: true, patchType: 'JSONPatch' });
    expect(decodePatch(body)).toEqual(fixture('pod-review.expected-patch.json'));
  });

  it('produces a pod that a second review leaves alone', async () => {
    const s = servers();
    const input = fixture('pod-review.json');
    const first = await review(s, '/mutate', input);
    const pod = applyStrict(input.request.object as V1Pod, decodePatch(first.body));
    const again = await review(s, '/mutate', {
      ...input,
      request: { ...input.request, uid: 'second', object: pod },
    });
    expect(again.body.response).toEqual({ uid: 'second', allowed: true });
  });

  it('applies the owning workload annotations, and degrades when the lookup fails', async () => {
    const input = fixture('pod-review.json');
    const object = structuredClone(input.request.object);
    object.metadata.annotations = {};
    const body = { ...input, request: { ...input.request, object } };

    const viaOwner = await review(
      servers(async () => ({ [KEYS.inject]: 'true', [KEYS.logDir]: '/log' })),
      '/mutate',
      body,
    );
    expect(viaOwner.body.response.patchType).toBe('JSONPatch');

    const s = servers(async () => {
      throw new Error('connect ECONNREFUSED');
    });
    const degraded = await review(s, '/mutate', body);
    expect(degraded.body.response).toEqual({
      uid: input.request.uid,
      allowed: true,
      warnings: [
        "Logward could not read this pod's owner; only the pod's own logward.io annotations were applied",
      ],
    });
    const metrics = await s.ops.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/^logward_webhook_owner_lookup_failures_total 1$/m);
    expect(metrics.body).toMatch(/^logward_webhook_skips_total\{reason="not_opted_in"\} 1$/m);
  });

  it('denies a pod with an invalid annotation, naming the key', async () => {
    const input = fixture('pod-review.json');
    input.request.object.metadata.annotations[KEYS.maxAge] = '7days';
    const { body } = await review(servers(), '/mutate', input);
    expect(body.response).toEqual({
      uid: input.request.uid,
      allowed: false,
      status: {
        code: 403,
        reason: 'Forbidden',
        message:
          'Pod shop/going-5d8f7c9b4-*: logward.io/max-age: "7days" is not a duration; use e.g. 12h or 7d',
      },
    });
  });

  it('allows kinds and operations it does not handle, unchanged', async () => {
    const input = fixture('pod-review.json');
    const update = await review(servers(), '/mutate', {
      ...input,
      request: { ...input.request, operation: 'UPDATE' },
    });
    expect(update.body.response).toEqual({ uid: input.request.uid, allowed: true });
    const secret = {
      ...input.request,
      kind: { group: '', version: 'v1', kind: 'Secret' },
      object: { kind: 'Secret' },
    };
    expect((await review(servers(), '/mutate', { ...input, request: secret })).body.response).toEqual({
      uid: input.request.uid,
      allowed: true,
    });
  });

  it.each([
    ['not an object', [1, 2], 'body is not a JSON object; send an admission.k8s.io/v1 AdmissionReview'],
    [
      'a v1beta1 review',
      { apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: { uid: 'x' } },
      'apiVersion/kind "admission.k8s.io/v1beta1"/"AdmissionReview" is not supported; send apiVersion "admission.k8s.io/v1", kind "AdmissionReview" (set admissionReviewVersions: ["v1"])',
    ],
    [
      'no request',
      { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' },
      'request is missing; an AdmissionReview sent to a webhook carries request',
    ],
    [
      'no uid',
      { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { kind: { kind: 'Pod' } } },
      'request.uid is missing; it must be a non-empty string',
    ],
  ])('refuses %s with a 400 naming the field', async (_name, body, message) => {
    expect(await review(servers(), '/mutate', body)).toEqual({ status: 400, body: { error: message } });
  });

  it('refuses a body that is not JSON, the wrong content type, and an oversized body', async () => {
    const s = servers();
    const notJson = await s.admission.inject({
      method: 'POST',
      url: '/mutate',
      payload: '{"apiVersion":',
      headers: { 'content-type': 'application/json' },
    });
    expect(notJson.statusCode).toBe(400);
    const text = await s.admission.inject({
      method: 'POST',
      url: '/mutate',
      payload: 'hello',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.statusCode).toBe(415);
    const big = await s.admission.inject({
      method: 'POST',
      url: '/mutate',
      payload: JSON.stringify({ padding: 'x'.repeat(9 * 1024 * 1024) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(big.statusCode).toBe(413);
  });

  it('never crashes on random reviews: a valid review or a 4xx', async () => {
    const s = servers();
    const input = fixture('pod-review.json');
    const podish = fc.record(
      {
        metadata: fc.record(
          { annotations: fc.dictionary(fc.constantFrom(...Object.values(KEYS), 'x/y', '~'), fc.string()) },
          { requiredKeys: [] },
        ),
        spec: fc.anything(),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.anything(),
          fc.record({
            apiVersion: fc.constant('admission.k8s.io/v1'),
            kind: fc.constant('AdmissionReview'),
            request: fc.anything(),
          }),
          podish.map((object) => ({ ...input, request: { ...input.request, object } })),
        ),
        async (body) => {
          const response = await s.admission.inject({
            method: 'POST',
            url: '/mutate',
            payload: JSON.stringify(body) ?? 'null',
            headers: { 'content-type': 'application/json' },
          });
          if (response.statusCode === 200) {
            const answer = response.json();
            expect(answer).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' });
            expect(typeof answer.response.allowed).toBe('boolean');
            expect(answer.response.status?.code ?? 200).not.toBe(500);
          } else {
            expect(response.statusCode).toBeGreaterThanOrEqual(400);
            expect(response.statusCode).toBeLessThan(500);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('POST /validate', () => {
  const deployment = (annotations: Record<string, string>, template: Record<string, string> = {}) => ({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'v1',
      kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
      namespace: 'shop',
      operation: 'CREATE',
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'going', namespace: 'shop', annotations },
        spec: {
          template: {
            metadata: { annotations: template },
            spec: { containers: [{ name: 'going', image: 'going' }] },
          },
        },
      },
    },
  });

  it('refuses a workload with invalid annotations at apply time', async () => {
    const { body } = await review(
      servers(),
      '/validate',
      deployment({ [KEYS.inject]: 'true', [KEYS.logDir]: '/log', [KEYS.maxFiles]: 'many' }),
    );
    expect(body.response.allowed).toBe(false);
    expect(body.response.status.message).toBe(
      'Deployment shop/going: logward.io/max-files: "many" is not a whole number; use e.g. 10 (0 keeps no rotated files)',
    );
  });

  it('allows a valid workload with warnings a human will read', async () => {
    const { body } = await review(
      servers(),
      '/validate',
      deployment({ [KEYS.inject]: 'true' }, { [KEYS.logDir]: '/log', [KEYS.maxTotalSize]: '95%' }),
    );
    expect(body.response.allowed).toBe(true);
    expect(body.response.warnings).toEqual([
      'logward.io/max-total-size: "95%" is over 90% of logward.io/size-limit: a burst between sweeps may reach the limit and get the pod evicted',
      "the app's user is unknown, so the sidecar runs as 65532 and may be unable to cap live files; set logward.io/sidecar-run-as-user to the uid that writes the logs",
    ]);
  });

  it('warns about Logward annotations without the opt-in', async () => {
    const { body } = await review(servers(), '/validate', deployment({ [KEYS.maxAge]: '1d' }));
    expect(body.response).toEqual({
      uid: 'v1',
      allowed: true,
      warnings: [
        'Deployment shop/going has Logward annotations but no logward.io/inject: "true"; Logward leaves it alone',
      ],
    });
  });
});

describe('over real HTTPS', () => {
  it('serves TLS 1.2+, answers reviews, and reloads its certificate for new connections', async () => {
    const s = servers();
    await s.admission.listen({ host: '127.0.0.1', port: 0 });
    const { port } = s.admission.server.address() as { port: number };
    try {
      const post = (body: string, options: Record<string, unknown> = {}) =>
        new Promise<{ status: number; body: string; serial: string }>((resolve, reject) => {
          const req = httpsRequest(
            {
              host: '127.0.0.1',
              port,
              path: '/mutate',
              method: 'POST',
              ca: ca.cert,
              headers: { 'content-type': 'application/json' },
              agent: false,
              ...options,
            },
            (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (c) => chunks.push(c));
              res.on('end', () =>
                resolve({
                  status: res.statusCode ?? 0,
                  body: Buffer.concat(chunks).toString(),
                  serial: (res.socket as TLSSocket).getPeerCertificate().serialNumber,
                }),
              );
            },
          );
          req.on('error', reject);
          req.end(body);
        });
      const input = fixture('pod-review.json');
      const first = await post(JSON.stringify(input));
      expect(first.status).toBe(200);
      expect(JSON.parse(first.body).response.uid).toBe(input.request.uid);

      await expect(
        post(JSON.stringify(input), { maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }),
      ).rejects.toThrow();

      const renewed = await issue(ca, {
        commonName: 'logward-webhook-renewed',
        dnsNames: ['localhost'],
        ips: ['127.0.0.1'],
      });
      s.setKeyPair(renewed);
      const second = await post(JSON.stringify(input));
      expect(second.status).toBe(200);
      expect(second.serial).not.toBe(first.serial);
    } finally {
      await s.admission.close();
    }
  });
});
