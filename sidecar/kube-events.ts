// The EventSink that writes core/v1 Events about the sidecar's own pod, with the pod's
// identity from the downward API environment the webhook sets (POD_NAME, POD_NAMESPACE, POD_UID).
import { existsSync } from 'node:fs';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { EventSink, PodEvent } from './events.ts';

const TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** undefined when the pod's identity or credentials are missing: then there is no one to tell. */
export function kubeEventSink(env: Readonly<Record<string, string | undefined>>): EventSink | undefined {
  const { POD_NAME: name, POD_NAMESPACE: namespace, POD_UID: uid } = env;
  if (!name || !namespace) return undefined;
  const kubeConfig = new KubeConfig();
  if (env.KUBERNETES_SERVICE_HOST && existsSync(TOKEN)) kubeConfig.loadFromCluster();
  else if (env.KUBECONFIG) kubeConfig.loadFromDefault();
  else return undefined;
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return {
    async emit(event: PodEvent) {
      const at = new Date();
      await core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { generateName: `${name}.logward-`, namespace },
          involvedObject: {
            apiVersion: 'v1',
            kind: 'Pod',
            name,
            namespace,
            ...(uid ? { uid } : {}),
            fieldPath: 'spec.containers{logward-sidecar}',
          },
          type: event.type,
          reason: event.reason,
          message: event.message,
          source: { component: 'logward-sidecar' },
          reportingComponent: 'logward.io/sidecar',
          reportingInstance: name,
          firstTimestamp: at,
          lastTimestamp: at,
          count: 1,
        },
      });
    },
  };
}
