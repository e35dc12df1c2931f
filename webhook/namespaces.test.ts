import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENABLED_LABEL, KEYS } from '../contract/keys.ts';
import type { RawAnnotations } from '../contract/policy.ts';
import { cluster } from '../inject/testing.ts';
import { type LocalhostTls, localhostTls } from '../test/support/certificates.ts';
import { createWebhookMetrics } from './metrics.ts';
import type { NamespaceLookup } from './namespace-lookup.ts';
import { buildServers, type Servers } from './server.ts';

// What the webhook does with Namespaces: their annotations as its pods' defaults when a pod or
// workload is reviewed, checked themselves when a Namespace is applied, and a namespace it cannot
// read leaving pods as if Logward were absent.

let tls: LocalhostTls;
beforeAll(async () => {
  tls = await localhostTls('logward-namespaces-');
});
afterAll(() => tls.remove());

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));

function servers(
  namespaces: Record<string, RawAnnotations> | NamespaceLookup,
  extra: { defaults?: Record<string, string>; mode?: 'native' | 'classic' } = {},
): Servers {
  const lookupNamespace: NamespaceLookup =
    typeof namespaces === 'function' ? namespaces : async (name) => namespaces[name] ?? {};
  return buildServers({
    tls: tls.serving,
    logger: pino({ level: 'silent' }),
    cluster: { ...cluster, defaults: extra.defaults ?? {}, mode: extra.mode ?? 'native' },
    lookupOwner: async () => ({}),
    lookupNamespace,
    metrics: createWebhookMetrics(),
  });
}

async function review(s: Servers, url: string, body: unknown) {
  const response = await s.admission.inject({ method: 'POST', url, payload: body as object });
  return response.json().response;
}

const metricsOf = async (s: Servers) => (await s.ops.inject({ method: 'GET', url: '/metrics' })).body;
const decodePatch = (response: { patch?: string }) =>
  JSON.parse(Buffer.from(response.patch ?? 'W10=', 'base64').toString());

/** The golden pod review with the pod's annotations replaced, and without its owner when `bare`. */
function podReview(annotations: Record<string, string>, bare = false) {
  const input = fixture('pod-review.json');
  input.request.object.metadata.annotations = annotations;
  if (bare) delete input.request.object.metadata.ownerReferences;
  return input;
}

function namespaceReview(
  annotations: Record<string, string>,
  extra: { old?: Record<string, string>; labels?: Record<string, string>; name?: string } = {},
) {
  const name = extra.name ?? 'shop';
  const object = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, annotations, labels: extra.labels },
  };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'ns1',
      kind: { group: '', version: 'v1', kind: 'Namespace' },
      name,
      operation: extra.old ? 'UPDATE' : 'CREATE',
      object,
      ...(extra.old
        ? { oldObject: { ...object, metadata: { ...object.metadata, annotations: extra.old } } }
        : {}),
    },
  };
}

const enabled = { [ENABLED_LABEL.key]: ENABLED_LABEL.value };

describe('a pod reviewed with its namespace', () => {
  it("injects a pod its Namespace opts in, with the namespace's defaults", async () => {
    const s = servers({ shop: { [KEYS.inject]: 'true', [KEYS.logDir]: '/log', [KEYS.sizeLimit]: '3Gi' } });
    const response = await review(s, '/mutate', podReview({}));
    expect(response.patchType).toBe('JSONPatch');
    expect(decodePatch(response)).toContainEqual({
      op: 'add',
      path: '/spec/volumes/1',
      value: { name: 'logward-logs', emptyDir: { sizeLimit: '3Gi' } },
    });
  });

  it('admits a pod unchanged, with a warning, when its Namespace cannot be read: never refused', async () => {
    const s = servers(async () => {
      throw new Error('reading Namespace shop took longer than 2000ms');
    });
    // Even a person's bare pod with a typo: without its namespace Logward cannot judge it.
    const input = podReview({ [KEYS.inject]: 'true', [KEYS.logDir]: '/log', [KEYS.maxAge]: '7days' }, true);
    expect(await review(s, '/mutate', input)).toEqual({
      uid: input.request.uid,
      allowed: true,
      warnings: [
        'Logward could not read Namespace shop, whose annotations may opt this pod in or set its defaults; it is admitted as if Logward were absent',
      ],
    });
    expect(await metricsOf(s)).toMatch(/^logward_webhook_skips_total\{reason="namespace_unknown"\} 1$/m);
  });

  it('does not ask for the Namespace of a pod that opts out itself', async () => {
    let asked = 0;
    const s = servers(async () => {
      asked++;
      return {};
    });
    await review(s, '/mutate', podReview({ [KEYS.inject]: 'false' }));
    expect(asked).toBe(0);
  });

  it("admits a person's bare pod whose namespace default is invalid, saying where the value comes from", async () => {
    const s = servers({ shop: { [KEYS.inject]: 'true', [KEYS.logDir]: '/log', [KEYS.maxAge]: '3days' } });
    const input = podReview({}, true);
    expect(await review(s, '/mutate', input)).toEqual({
      uid: input.request.uid,
      allowed: true,
      warnings: [
        'Pod shop/going-5d8f7c9b4-*: logward.io/max-age: "3days" is not a duration; use e.g. 12h or 7d (logward.io/max-age is an annotation of Namespace shop; not refused: a default of its Namespace is part of the problem, not only this object\'s annotations); Logward leaves its pods without the log volume and sidecar until this is fixed',
      ],
    });
    expect(await metricsOf(s)).toMatch(
      /^logward_webhook_tolerated_total\{route="mutate",reason="namespace_default"\} 1$/m,
    );
  });

  it("tolerates a pod's own value that does not fit its namespace's default, and refuses one that fits nothing", async () => {
    const s = servers({ shop: { [KEYS.sizeLimit]: '512Mi' } });
    const own = { [KEYS.inject]: 'true', [KEYS.logDir]: '/log', [KEYS.maxTotalSize]: '600Mi' };
    const tolerated = await review(s, '/mutate', podReview(own, true));
    expect(tolerated.allowed).toBe(true);
    expect(tolerated.warnings[0]).toContain('logward.io/size-limit is an annotation of Namespace shop');
    const refused = await review(s, '/mutate', podReview({ ...own, [KEYS.maxAge]: 'soon' }, true));
    expect(refused.allowed).toBe(false);
    expect(refused.status.message).toBe(
      'Pod shop/going-5d8f7c9b4-*: logward.io/max-age: "soon" is not a duration; use e.g. 12h or 7d',
    );
  });
});

describe('a workload applied into a namespace', () => {
  const deployment = (annotations: Record<string, string>) => ({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'd1',
      kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
      namespace: 'shop',
      operation: 'CREATE',
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'going', namespace: 'shop', annotations },
        spec: { template: { spec: { containers: [{ name: 'going', image: 'going' }] } } },
      },
    },
  });

  it("is judged with its namespace's defaults: a budget that fits the namespace's size limit is fine", async () => {
    const own = { [KEYS.inject]: 'true', [KEYS.logDir]: '/log', [KEYS.maxTotalSize]: '1500Mi' };
    expect((await review(servers({}), '/validate', deployment(own))).allowed).toBe(false);
    const response = await review(
      servers({ shop: { [KEYS.sizeLimit]: '2Gi' } }),
      '/validate',
      deployment(own),
    );
    expect(response.allowed).toBe(true);
  });

  it('is allowed with a warning when its Namespace cannot be read', async () => {
    const s = servers(async () => {
      throw new Error('connect ECONNREFUSED');
    });
    const response = await review(
      s,
      '/validate',
      deployment({ [KEYS.inject]: 'true', [KEYS.maxAge]: '7days' }),
    );
    expect(response).toEqual({
      uid: 'd1',
      allowed: true,
      warnings: [
        'Logward could not read Namespace shop to check Deployment shop/going against its defaults; its pods are checked when they are created',
      ],
    });
  });
});

describe('a Namespace applied with logward.io/ annotations', () => {
  it('is refused when a person introduces a value that does not parse, naming the key', async () => {
    const response = await review(
      servers({}),
      '/validate',
      namespaceReview({ [KEYS.inject]: 'true', [KEYS.maxAge]: '3days' }, { labels: enabled }),
    );
    expect(response).toEqual({
      uid: 'ns1',
      allowed: false,
      status: {
        code: 403,
        reason: 'Forbidden',
        message: 'Namespace shop: logward.io/max-age: "3days" is not a duration; use e.g. 12h or 7d',
      },
    });
  });

  it('is allowed when an update leaves an invalid value as it was', async () => {
    const invalid = { [KEYS.inject]: 'yes' };
    const unchanged = await review(servers({}), '/validate', namespaceReview(invalid, { old: invalid }));
    expect(unchanged.allowed).toBe(true);
    expect(unchanged.warnings[0]).toContain('not refused: this request does not change them');
    const changed = await review(
      servers({}),
      '/validate',
      namespaceReview(invalid, { old: { [KEYS.inject]: 'true' } }),
    );
    expect(changed.allowed).toBe(false);
  });

  it("is allowed with a warning when the problem involves a cluster default, and refused when it is the namespace's alone", async () => {
    const s = servers({}, { defaults: { [KEYS.sizeLimit]: '1Gi' } });
    const withDefault = await review(s, '/validate', namespaceReview({ [KEYS.maxTotalSize]: '1500Mi' }));
    expect(withDefault.allowed).toBe(true);
    expect(withDefault.warnings[0]).toContain("logward.io/size-limit is the webhook's --default-size-limit");
    const own = await review(
      s,
      '/validate',
      namespaceReview({ [KEYS.maxTotalSize]: '1500Mi', [KEYS.sizeLimit]: '1Gi' }),
    );
    expect(own.allowed).toBe(false);
  });

  it('tells an admin opting a namespace in without the label which of its pods Logward will see', async () => {
    const response = await review(servers({}), '/validate', namespaceReview({ [KEYS.inject]: 'true' }));
    expect(response).toEqual({
      uid: 'ns1',
      allowed: true,
      warnings: [
        'Namespace shop opts its pods in, but is not labelled logward.io/enabled=true: the webhook is sent only its pods that have a controller or logward.io/inject of their own (and none of them where Logward\'s scope is "namespaces")',
      ],
    });
    const labelled = await review(
      servers({}),
      '/validate',
      namespaceReview({ [KEYS.inject]: 'true' }, { labels: enabled }),
    );
    expect(labelled).toEqual({ uid: 'ns1', allowed: true });
  });

  it('says that Jobs are left alone where sidecars are classic containers', async () => {
    const response = await review(
      servers({}, { mode: 'classic' }),
      '/validate',
      namespaceReview({ [KEYS.inject]: 'true' }, { labels: enabled }),
    );
    expect(response.warnings).toEqual([
      'sidecars are classic containers in this cluster: pods of Namespace shop that run to completion (Jobs, CronJobs) are left alone, since a classic sidecar would keep them from completing',
    ]);
  });

  it('warns of unknown keys and of keys a Namespace cannot set', async () => {
    const response = await review(
      servers({}),
      '/validate',
      namespaceReview({ 'logward.io/max-agee': '3d', [KEYS.status]: 'injected' }),
    );
    expect(response.warnings).toEqual([
      'logward.io/max-agee is not a Logward annotation and is ignored; did you mean logward.io/max-age?',
      'logward.io/status is not a default a Namespace can set; it is ignored here',
    ]);
  });

  it('is told that an excluded namespace is left alone, whatever it says', async () => {
    const response = await review(
      servers({}),
      '/validate',
      namespaceReview({ [KEYS.inject]: 'true', [KEYS.maxAge]: 'soon' }, { name: 'kube-system' }),
    );
    expect(response).toEqual({
      uid: 'ns1',
      allowed: true,
      warnings: [
        'Namespace kube-system is excluded from injection: Logward leaves its pods alone, and its logward.io annotations have no effect',
      ],
    });
  });

  it('ignores a Namespace without logward.io/ annotations', async () => {
    const s = servers({});
    expect(await review(s, '/validate', namespaceReview({ team: 'shop' }))).toEqual({
      uid: 'ns1',
      allowed: true,
    });
    expect(await metricsOf(s)).toMatch(
      /^logward_webhook_reviews_total\{route="validate",outcome="ignored"\} 1$/m,
    );
  });
});
