import type { V1Pod } from '@kubernetes/client-node';
import { KEYS } from '../contract/keys.ts';
import { decide } from '../inject/decide.ts';
import { METRICS_PORT_NAME, SIDECAR_CONTAINER } from '../inject/names.ts';
import { cluster } from '../inject/testing.ts';
import { KubeApiError, type KubeClient } from '../kube/client.ts';

// An API server for status's reads, in memory: every request recorded, each answered from a
// table of paths (lists empty unless given), and any path a test names refused as RBAC refuses.

export interface FakeApi {
  client: KubeClient;
  /** `GET /api/v1/namespaces/shop/pods`: every request made, query dropped, in order. */
  requests: string[];
}

/** The API server's 403 for `path`, as it words it for `user`. */
export function forbidden(path: string, user = 'system:serviceaccount:tools:reader'): KubeApiError {
  return new KubeApiError(
    403,
    'Forbidden',
    `GET ${path}: 403 Forbidden: forbidden: User "${user}" cannot get path "${path}"`,
  );
}

/**
 * Answers `objects[path]`, refuses what `refused` says. A path not given: an empty list for a
 * list (status lists through `request`), not found for an object.
 */
export function fakeApi(
  objects: Record<string, unknown> = {},
  refused: (path: string) => boolean = () => false,
): FakeApi {
  const requests: string[] = [];
  const answer = (path: string, otherwise: () => unknown): unknown => {
    const route = path.split('?')[0]!;
    requests.push(`GET ${route}`);
    if (refused(route)) throw forbidden(route);
    return Object.hasOwn(objects, route) ? objects[route] : otherwise();
  };
  const notFound = (path: string) => () => {
    throw new KubeApiError(404, 'NotFound', `GET ${path}: 404 NotFound`);
  };
  const client: KubeClient = {
    describe: 'fake',
    request: async <T>(_method: string, path: string) => answer(path, () => ({ items: [] })) as T,
    read: async <T>(path: string) => answer(path, () => undefined) as T | undefined,
    readText: async (path: string) => String(answer(path, notFound(path))),
    watch: async () => {},
    close: () => {},
  };
  return { client, requests };
}

/** A running pod of `namespace` as the webhook injects it, its sidecar's metrics on `port`. */
export function injectedPod(namespace: string, name: string, port = 9090): V1Pod {
  const decision = decide(
    { metadata: { name, namespace }, spec: { containers: [{ name: 'app', image: 'example.com/app:1' }] } },
    {
      ...cluster,
      namespace,
      workloadAnnotations: {},
      namespaceAnnotations: { [KEYS.inject]: 'true', [KEYS.logDir]: '/log' },
    },
  );
  if (decision.kind !== 'inject') throw new Error(`not injected: ${JSON.stringify(decision)}`);
  const sidecar = decision.pod.spec!.initContainers!.find((c) => c.name === SIDECAR_CONTAINER)!;
  sidecar.ports = [{ name: METRICS_PORT_NAME, containerPort: port }];
  return { ...decision.pod, status: { phase: 'Running', podIP: '10.1.2.3' } };
}
