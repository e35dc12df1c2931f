// The EventSink that writes core/v1 Events about the sidecar's own pod, with the pod's
// identity from the downward API environment the webhook sets (POD_NAME, POD_NAMESPACE, POD_UID)
// and the pod's service account credentials.
//
// One POST with the mounted token, rather than @kubernetes/client-node: that library alone
// adds about 85 MiB of resident memory, more than the sidecar's whole default limit, for a call
// made only when something has gone wrong. node:https itself (TLS and the crypto stack, about
// 9 MiB resident) is loaded at the first Event, not at start: most pods never send one.
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PREFIX } from '../contract/keys.ts';
import type { EventSink, PodEvent } from './events.ts';

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** undefined outside a pod (no identity or no credentials): then there is no one to tell. */
export function kubeEventSink(env: Readonly<Record<string, string | undefined>>): EventSink | undefined {
  const { POD_NAME: name, POD_NAMESPACE: namespace, POD_UID: uid } = env;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  // Where the kubelet mounts the token; overridable to run the sidecar outside a pod.
  const dir = env.LOGWARD_SERVICE_ACCOUNT_DIR ?? SERVICE_ACCOUNT_DIR;
  if (!name || !namespace || !host || !existsSync(join(dir, 'token'))) return undefined;
  const ca = readFileSync(join(dir, 'ca.crt'));
  return {
    async emit(event: PodEvent) {
      // Bound tokens are rotated by the kubelet: read the current one for every call.
      const token = (await readFile(join(dir, 'token'), 'utf8')).trim();
      const at = new Date().toISOString();
      const body = JSON.stringify({
        apiVersion: 'v1',
        kind: 'Event',
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
        reportingComponent: `${PREFIX}sidecar`,
        reportingInstance: name,
        firstTimestamp: at,
        lastTimestamp: at,
        count: 1,
      });
      await post({
        host,
        port,
        path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`,
        ca,
        token,
        body,
      });
    },
  };
}

interface Post {
  host: string;
  port: string;
  path: string;
  ca: Buffer;
  token: string;
  body: string;
}

/** Resolves on 2xx; rejects with `{ code, message }`, the API server's Status message when there is one. */
function post({ host, port, path, ca, token, body }: Post): Promise<void> {
  const { request } = process.getBuiltinModule('node:https');
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host,
        port: Number(port),
        path,
        method: 'POST',
        ca,
        timeout: 10_000,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve();
          let message = `HTTP ${status}`;
          try {
            message = JSON.parse(Buffer.concat(chunks).toString()).message ?? message;
          } catch {
            // not a Status body
          }
          reject(Object.assign(new Error(message), { code: status }));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('the API server did not answer within 10s')));
    req.on('error', reject);
    req.end(body);
  });
}
