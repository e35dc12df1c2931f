import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { V1Pod } from '@kubernetes/client-node';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYS } from '../contract/keys.ts';
import { applyStrict, cluster } from '../inject/testing.ts';
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

function servers(
  lookupOwner: OwnerLookup = async () => ({}),
  mode: 'native' | 'classic' = 'native',
): Servers {
  return buildServers({
    tls: serving,
    logger: pino({ level: 'silent' }),
    cluster: { ...cluster, mode },
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

  it("answers a template's replicas each with its own uid, and anew once its Namespace's annotations change", async () => {
    let namespaceAnnotations: Record<string, string> = {};
    const s = buildServers({
      tls: serving,
      logger: pino({ level: 'silent' }),
      cluster,
      lookupOwner: async () => ({}),
      lookupNamespace: async () => namespaceAnnotations,
      metrics: createWebhookMetrics(),
    });
    // As the API server sends them: the same text but for request.uid.
    const text = readFileSync(new URL('./fixtures/pod-review.json', import.meta.url), 'utf8');
    const uid = fixture('pod-review.json').request.uid as string;
    const replica = async (n: number) => {
      const replicaUid = `${uid.slice(0, -4)}${String(n).padStart(4, '0')}`;
      const response = await s.admission.inject({
        method: 'POST',
        url: '/mutate',
        headers: { 'content-type': 'application/json' },
        payload: text.replace(uid, replicaUid),
      });
      const body = response.json() as AdmissionReview;
      expect(body.response?.uid).toBe(replicaUid);
      return decodePatch(body) as { path: string; value: { emptyDir?: { sizeLimit?: string } }[] }[];
    };
    const sizeLimits = (patch: Awaited<ReturnType<typeof replica>>) =>
      JSON.stringify(patch).match(/"sizeLimit":"[^"]+"/g);
    const first = await replica(1);
    expect(first).toEqual(fixture('pod-review.expected-patch.json'));
    expect(await replica(2)).toEqual(first);
    namespaceAnnotations = { [KEYS.sizeLimit]: '3Gi' };
    const after = await replica(3);
    expect(sizeLimits(first)).toEqual(['"sizeLimit":"1Gi"']);
    expect(sizeLimits(after)).toEqual(['"sizeLimit":"3Gi"']);
    namespaceAnnotations = {};
    expect(await replica(4)).toEqual(first);
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

  it('denies a bare pod with an invalid annotation, naming the key', async () => {
    const input = fixture('pod-review.json');
    input.request.object.metadata.annotations[KEYS.maxAge] = '7days';
    delete input.request.object.metadata.ownerReferences;
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

  it("admits a controller's pod with an invalid annotation unchanged, with a warning, and counts it", async () => {
    const input = fixture('pod-review.json');
    input.request.object.metadata.annotations[KEYS.maxAge] = '7days';
    const s = servers();
    const { body } = await review(s, '/mutate', input);
    expect(body.response).toEqual({
      uid: input.request.uid,
      allowed: true,
      warnings: [
        'Pod shop/going-5d8f7c9b4-*: logward.io/max-age: "7days" is not a duration; use e.g. 12h or 7d (not refused: its controller wrote it; Logward checks these settings where its owner is applied); Logward leaves its pods without the log volume and sidecar until this is fixed',
      ],
    });
    const metrics = (await s.ops.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(
      /^logward_webhook_tolerated_total\{route="mutate",reason="judged_at_owner"\} 1$/m,
    );
    expect(metrics).toMatch(/^logward_webhook_reviews_total\{route="mutate",outcome="tolerated"\} 1$/m);
  });

  it('admits a pod unchanged, with a warning, an error log and a metric, when reviewing it fails', async () => {
    const input = fixture('pod-review.json');
    // Not something the API server sends; it makes the mutation throw, as a bug would.
    input.request.object.spec.containers = 'going';
    const lines: string[] = [];
    const s = buildServers({
      tls: serving,
      logger: pino({ level: 'info' }, { write: (line: string) => lines.push(line) }),
      cluster,
      lookupOwner: async () => ({}),
      metrics: createWebhookMetrics(),
    });
    const { status, body } = await review(s, '/mutate', input);
    expect(status).toBe(200);
    expect(body.response.allowed).toBe(true);
    expect(body.response.patch).toBeUndefined();
    expect(body.response.warnings).toEqual([
      expect.stringMatching(
        /^Logward failed to review this object: .+; admitted unchanged, without the log volume and sidecar$/,
      ),
    ]);
    const failed = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'review failed');
    expect(failed).toMatchObject({ level: 50, uid: input.request.uid, route: 'mutate' });
    const metrics = (await s.ops.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^logward_webhook_reviews_total\{route="mutate",outcome="errored"\} 1$/m);
  });

  it('denies instead when told to fail closed', async () => {
    const input = fixture('pod-review.json');
    input.request.object.spec.containers = 'going';
    const s = buildServers({
      tls: serving,
      logger: pino({ level: 'silent' }),
      cluster,
      lookupOwner: async () => ({}),
      metrics: createWebhookMetrics(),
      failClosed: true,
    });
    const { body } = await review(s, '/mutate', input);
    expect(body.response).toMatchObject({
      allowed: false,
      status: { code: 500, message: expect.stringMatching(/^Logward failed to review this object: /) },
    });
  });

  it('injects a pod whose logward.io/status holds another value, replacing it', async () => {
    const input = fixture('pod-review.json');
    input.request.object.metadata.annotations[KEYS.status] = 'pending';
    const { body } = await review(servers(), '/mutate', input);
    expect(body.response).toMatchObject({ allowed: true, patchType: 'JSONPatch' });
    const pod = applyStrict(input.request.object as V1Pod, decodePatch(body));
    expect(pod.metadata?.annotations?.[KEYS.status]).toBe('injected');
    expect(body.response.warnings).toContain(
      'logward.io/status: "pending" is Logward\'s to write; it now says "injected"',
    );
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

  const update = (
    kind: string,
    annotations: Record<string, string>,
    old: Record<string, string>,
    extra: Record<string, unknown> = {},
  ) => {
    const body = deployment(annotations);
    const object = { ...body.request.object, kind, metadata: { ...body.request.object.metadata, ...extra } };
    return {
      ...body,
      request: {
        ...body.request,
        kind: { group: 'apps', version: 'v1', kind },
        operation: 'UPDATE',
        object,
        oldObject: { ...object, metadata: { ...object.metadata, annotations: old } },
      },
    };
  };
  const invalid = { [KEYS.inject]: 'true', [KEYS.logDir]: '/log', [KEYS.maxAge]: '7days' };

  it('lets a Deployment controller scale a ReplicaSet whose annotations are invalid, with a warning', async () => {
    const s = servers();
    const owner = [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'going', uid: 'u', controller: true }];
    const { body } = await review(
      s,
      '/validate',
      update('ReplicaSet', invalid, { ...invalid, [KEYS.maxAge]: '1d' }, { ownerReferences: owner }),
    );
    expect(body.response.allowed).toBe(true);
    expect(body.response.warnings).toEqual([
      'ReplicaSet shop/going: logward.io/max-age: "7days" is not a duration; use e.g. 12h or 7d (not refused: its controller wrote it; Logward checks these settings where its owner is applied); Logward leaves its pods without the log volume and sidecar until this is fixed',
    ]);
    const metrics = (await s.ops.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(
      /^logward_webhook_tolerated_total\{route="validate",reason="judged_at_owner"\} 1$/m,
    );
  });

  it('allows an update that leaves invalid annotations as they were, and refuses one that makes them invalid', async () => {
    const unchanged = await review(servers(), '/validate', update('Deployment', invalid, invalid));
    expect(unchanged.body.response.allowed).toBe(true);
    expect(unchanged.body.response.warnings[0]).toMatch(/\(not refused: this request does not change them\)/);
    const changed = await review(
      servers(),
      '/validate',
      update('Deployment', invalid, { ...invalid, [KEYS.maxAge]: '1d' }),
    );
    expect(changed.body.response).toMatchObject({
      allowed: false,
      status: {
        message: 'Deployment shop/going: logward.io/max-age: "7days" is not a duration; use e.g. 12h or 7d',
      },
    });
  });

  it('allows a workload made invalid by a cluster default, and says the default is the cause', async () => {
    const s = buildServers({
      tls: serving,
      logger: pino({ level: 'silent' }),
      cluster: { ...cluster, defaults: { [KEYS.maxTotalSize]: '900Mi' } },
      lookupOwner: async () => ({}),
      metrics: createWebhookMetrics(),
    });
    const { body } = await review(
      s,
      '/validate',
      deployment({ [KEYS.inject]: 'true', [KEYS.logDir]: '/log', [KEYS.sizeLimit]: '512Mi' }),
    );
    expect(body.response.allowed).toBe(true);
    expect(body.response.warnings[0]).toBe(
      'Deployment shop/going: logward.io/max-total-size: "900Mi" is above logward.io/size-limit: "512Mi"; use at most the size limit, e.g. 80% (logward.io/max-total-size is the webhook\'s --default-max-total-size; not refused: a cluster default is part of the problem, not only this object\'s annotations); Logward leaves its pods without the log volume and sidecar until this is fixed',
    );
    // The same value written on the object is the object's own problem.
    const own = await review(
      s,
      '/validate',
      deployment({
        [KEYS.inject]: 'true',
        [KEYS.logDir]: '/log',
        [KEYS.sizeLimit]: '512Mi',
        [KEYS.maxTotalSize]: '600Mi',
        [KEYS.hardLimit]: '100%',
      }),
    );
    expect(own.body.response.allowed).toBe(false);
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

describe('a pod or workload left alone, as each route answers it', () => {
  const metricsOf = async (s: Servers) => (await s.ops.inject({ method: 'GET', url: '/metrics' })).body;
  const workload = (kind: string, group: string, namespace: string, template: Record<string, unknown>) => ({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'w1',
      kind: { group, version: 'v1', kind },
      namespace,
      operation: 'CREATE',
      object: {
        apiVersion: `${group}/v1`,
        kind,
        metadata: { name: 'report', namespace },
        spec: { template },
      },
    },
  });
  const optedIn = { annotations: { [KEYS.inject]: 'true', [KEYS.logDir]: '/log' } };

  it('skips a pod in an excluded namespace without asking the API server for its owner', async () => {
    let lookups = 0;
    const s = servers(async () => {
      lookups++;
      return {};
    });
    const input = fixture('pod-review.json');
    input.request.namespace = 'kube-system';
    input.request.object.metadata.namespace = 'kube-system';
    input.request.object.metadata.ownerReferences = [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'going-7d9f', uid: 'u', controller: true },
    ];
    const { body } = await review(s, '/mutate', input);
    expect(body.response).toEqual({ uid: input.request.uid, allowed: true });
    expect(lookups).toBe(0);
    const metrics = await metricsOf(s);
    expect(metrics).toMatch(/^logward_webhook_reviews_total\{route="mutate",outcome="skipped"\} 1$/m);
    expect(metrics).toMatch(/^logward_webhook_skips_total\{reason="namespace_excluded"\} 1$/m);
  });

  it('ignores a workload in an excluded namespace, invalid settings and all', async () => {
    const s = servers();
    const { body } = await review(
      s,
      '/validate',
      workload('Deployment', 'apps', 'kube-system', {
        metadata: { annotations: { [KEYS.inject]: 'true', [KEYS.maxAge]: '7days' } },
        spec: { containers: [{ name: 'app', image: 'app' }] },
      }),
    );
    expect(body.response).toEqual({ uid: 'w1', allowed: true });
    const metrics = await metricsOf(s);
    expect(metrics).toMatch(/^logward_webhook_reviews_total\{route="validate",outcome="ignored"\} 1$/m);
    expect(metrics).not.toMatch(/^logward_webhook_skips_total\{/m);
  });

  it('warns whoever applies a Job that a classic sidecar would keep from completing', async () => {
    const s = servers(undefined, 'classic');
    const { body } = await review(
      s,
      '/validate',
      workload('Job', 'batch', 'shop', {
        metadata: optedIn,
        spec: { restartPolicy: 'Never', containers: [{ name: 'app', image: 'app' }] },
      }),
    );
    expect(body.response).toEqual({
      uid: 'w1',
      allowed: true,
      warnings: [
        'Logward will not inject Job shop/report: the pod runs to completion and sidecars are classic containers here: a classic sidecar would keep it from ever completing',
      ],
    });
    expect(await metricsOf(s)).toMatch(
      /^logward_webhook_skips_total\{reason="classic_sidecar_blocks_job"\} 1$/m,
    );
  });

  it('warns whoever applies a Windows workload, and says nothing of one that opts out', async () => {
    const windows = await review(
      servers(),
      '/validate',
      workload('Deployment', 'apps', 'shop', {
        metadata: optedIn,
        spec: {
          nodeSelector: { 'kubernetes.io/os': 'windows' },
          containers: [{ name: 'app', image: 'app' }],
        },
      }),
    );
    expect(windows.body.response.warnings).toEqual([
      'Logward will not inject Deployment shop/report: the pod runs on Windows (spec.os.name or a kubernetes.io/os nodeSelector) and the sidecar is a Linux container',
    ]);
    const optedOut = await review(
      servers(),
      '/validate',
      workload('Deployment', 'apps', 'shop', {
        metadata: { annotations: { [KEYS.inject]: 'false', [KEYS.logDir]: '/log' } },
        spec: { containers: [{ name: 'app', image: 'app' }] },
      }),
    );
    expect(optedOut.body.response).toEqual({ uid: 'w1', allowed: true });
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
