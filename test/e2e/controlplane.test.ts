import {
  ApiException,
  AppsV1Api,
  AuthenticationV1Api,
  CoreV1Api,
  type V1Deployment,
  VersionApi,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlane, startControlPlane } from './controlplane.ts';

const NAMESPACE = 'controlplane-smoke';

let controlPlane: ControlPlane;

beforeAll(async () => {
  controlPlane = await startControlPlane();
});

afterAll(async () => {
  await controlPlane?.stop();
});

describe('control plane', () => {
  it('serves a Kubernetes version with native sidecars (1.29+)', async () => {
    const version = await controlPlane.kubeConfig.makeApiClient(VersionApi).getCode();
    expect(Number(version.major)).toBe(1);
    expect(Number.parseInt(version.minor, 10)).toBeGreaterThanOrEqual(29);
  });

  it('runs controllers: a Deployment gets a ReplicaSet and a Pod', async () => {
    const core = controlPlane.kubeConfig.makeApiClient(CoreV1Api);
    const apps = controlPlane.kubeConfig.makeApiClient(AppsV1Api);
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
    await apps.createNamespacedDeployment({ namespace: NAMESPACE, body: deployment('smoke') });

    const replicaSets = await eventually(async () => {
      const list = await apps.listNamespacedReplicaSet({ namespace: NAMESPACE });
      return list.items.length > 0 ? list.items : undefined;
    });
    expect(replicaSets[0]?.metadata?.ownerReferences?.[0]?.name).toBe('smoke');

    // No kubelet, so the pod stays Pending; its existence proves the ReplicaSet controller ran.
    const pods = await eventually(async () => {
      const list = await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: 'app=smoke' });
      return list.items.length > 0 ? list.items : undefined;
    });
    expect(pods[0]?.status?.phase).toBe('Pending');
  });

  it('issues service account identities that RBAC treats as such', async () => {
    const identity = await controlPlane.serviceAccountKubeConfig(NAMESPACE, 'webhook');
    const review = await identity.kubeConfig.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    });
    expect(review.status?.userInfo?.username).toBe(`system:serviceaccount:${NAMESPACE}:webhook`);
    expect(review.status?.userInfo?.groups).toContain(`system:serviceaccounts:${NAMESPACE}`);

    // Nothing is bound to it yet, so it may not even list pods.
    const pods = identity.kubeConfig.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: NAMESPACE });
    await expect(pods).rejects.toSatisfy((error) => error instanceof ApiException && error.code === 403);
  });
});

function deployment(name: string): V1Deployment {
  const labels = { app: name };
  return {
    metadata: { name },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] },
      },
    },
  };
}

/** Polls until `probe` returns a value; controllers act asynchronously. */
async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs}ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
