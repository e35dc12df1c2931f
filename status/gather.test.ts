import { describe, expect, it } from 'vitest';
import { cluster } from '../inject/testing.ts';
import { Forbidden } from './forbidden.ts';
import { gather, readWebhookFlags } from './gather.ts';
import { fakeApi, injectedPod } from './testing.ts';

const PODS = '/api/v1/namespaces/shop/pods';
const PROXY = '/api/v1/namespaces/shop/pods/web-1:9090/proxy/metrics';
const SHOP = { '/api/v1/namespaces/shop': { metadata: { name: 'shop' } } };

describe("logward status's reads when RBAC refuses some", () => {
  it('fails when it may not list the pods, naming the read and the namespace', async () => {
    const { client } = fakeApi({}, (path) => path === PODS);
    const failure = await gather(client, 'shop', cluster).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Forbidden);
    expect((failure as Forbidden).message).toBe('may not list pods in namespace shop (403 Forbidden)');
    expect((failure as Forbidden).denied).toEqual([
      { namespace: 'shop', user: 'system:serviceaccount:tools:reader' },
    ]);
  });

  it('shows what it could read and says, once, that the pod proxy was refused and for how many pods', async () => {
    const { client } = fakeApi(
      { ...SHOP, [PODS]: { items: [injectedPod('shop', 'web-1'), injectedPod('shop', 'web-2')] } },
      (path) => path.endsWith('/proxy/metrics'),
    );
    const { input, notes, denied } = await gather(client, 'shop', cluster);
    expect(notes).toEqual([
      'may not get pods/proxy in namespace shop (403 Forbidden); the sidecar metrics of 2 pods are not shown (usage, budget, last rotation)',
    ]);
    expect(denied).toEqual([{ namespace: 'shop', user: 'system:serviceaccount:tools:reader' }]);
    expect(input.metrics.get('shop/web-1')).toEqual({ error: 'may not get pods/proxy (403 Forbidden)' });
  });

  it('names each refused workload kind and the Namespace, with what leaving them out costs', async () => {
    const { client } = fakeApi(
      { [PODS]: { items: [] } },
      (path) => path.endsWith('/deployments') || path === '/api/v1/namespaces/shop',
    );
    const { notes } = await gather(client, 'shop', cluster);
    expect(notes).toContain(
      'may not list deployments in namespace shop (403 Forbidden); their pods are shown as bare pods',
    );
    expect(notes).toContain(
      'may not get Namespace shop (403 Forbidden); opt-ins and defaults set on a Namespace are not shown',
    );
    expect(notes).toHaveLength(2);
  });

  it("says when it may not read the webhook's Deployment, and where a binding would grant it", async () => {
    const { client } = fakeApi({}, (path) => path.includes('/deployments/'));
    expect(await readWebhookFlags(client, 'logward-system')).toEqual({
      note: "may not get the webhook's Deployment logward-system/logward-webhook (403 Forbidden); pods left alone are judged without the cluster's --default-* flags",
      denied: { namespace: 'logward-system', user: 'system:serviceaccount:tools:reader' },
    });
  });

  it('keeps the error of a failure that is not RBAC', async () => {
    const { client } = fakeApi({ ...SHOP, [PODS]: { items: [injectedPod('shop', 'web-1')] } });
    const { input, notes, denied } = await gather(client, 'shop', cluster);
    expect(input.metrics.get('shop/web-1')).toEqual({ error: `GET ${PROXY}: 404 NotFound` });
    expect(notes).toEqual([]);
    expect(denied).toEqual([]);
  });
});
