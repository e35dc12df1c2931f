/** Manifests the node tests apply, and polling, kept out of the tests' way. */
import { setTimeout as sleep } from 'node:timers/promises';

export function restrictedNamespace(name: string, labels: Record<string, string> = {}): object {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: {
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
        ...labels,
      },
    },
  };
}

export interface ContainerSpec {
  name: string;
  command?: string[];
  env?: Record<string, string>;
  /** Volume name -> mount path. */
  mounts?: Record<string, string>;
  restartPolicy?: 'Always';
  resources?: object;
  /** Defaults to a read-only root filesystem; the seed app without Logward writes into its own. */
  readOnlyRootFilesystem?: boolean;
}

export interface PodSpecOptions {
  image: string;
  containers: ContainerSpec[];
  initContainers?: ContainerSpec[];
  volumes?: object[];
  restartPolicy?: 'Always' | 'Never' | 'OnFailure';
  uid?: number;
}

/** A pod spec that Pod Security "restricted" admits, running as `uid` (1000, the app's). */
export function podSpec(options: PodSpecOptions): object {
  const uid = options.uid ?? 1000;
  const container = (c: ContainerSpec) => ({
    name: c.name,
    image: options.image,
    imagePullPolicy: 'Never',
    ...(c.command ? { command: c.command } : {}),
    ...(c.env ? { env: Object.entries(c.env).map(([name, value]) => ({ name, value })) } : {}),
    ...(c.restartPolicy ? { restartPolicy: c.restartPolicy } : {}),
    ...(c.resources ? { resources: c.resources } : {}),
    volumeMounts: Object.entries(c.mounts ?? {}).map(([name, mountPath]) => ({ name, mountPath })),
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: c.readOnlyRootFilesystem ?? true,
      capabilities: { drop: ['ALL'] },
    },
  });
  return {
    ...(options.restartPolicy ? { restartPolicy: options.restartPolicy } : {}),
    securityContext: {
      runAsNonRoot: true,
      runAsUser: uid,
      runAsGroup: uid,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    terminationGracePeriodSeconds: 5,
    enableServiceLinks: false,
    ...(options.initContainers ? { initContainers: options.initContainers.map(container) } : {}),
    containers: options.containers.map(container),
    volumes: options.volumes ?? [],
  };
}

export function podJson(
  options: PodSpecOptions & { name: string; namespace: string; annotations?: Record<string, string> },
): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: options.name,
      namespace: options.namespace,
      ...(options.annotations ? { annotations: options.annotations } : {}),
    },
    spec: podSpec(options),
  };
}

/**
 * Polls `probe` until it returns a value (not undefined), or fails naming `what`. Errors from
 * the probe count as "not yet": the API server, kubelet and pods are all eventually consistent.
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 120_000,
  intervalMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = lastError ? `; last error: ${(lastError as Error).message}` : '';
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${detail}`);
    }
    await sleep(intervalMs);
  }
}
