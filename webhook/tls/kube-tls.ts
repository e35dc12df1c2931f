import type {
  V1MutatingWebhookConfiguration,
  V1Secret,
  V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { KubeApiError, type KubeClient } from '../../kube/client.ts';
import type { CaBundlePublisher, CertificateStore, StoredCertificates } from './tls-bootstrap.ts';

const DATA = {
  caCert: 'ca.crt',
  caKey: 'ca.key',
  previousCa: 'ca-previous.crt',
  cert: 'tls.crt',
  key: 'tls.key',
} as const;

const b64 = (text: string) => Buffer.from(text).toString('base64');
const unb64 = (text: string | undefined) =>
  text === undefined ? undefined : Buffer.from(text, 'base64').toString();

function statusOf(error: unknown): number | undefined {
  return error instanceof KubeApiError ? error.status : undefined;
}

/** The certificates in a `kubernetes.io/tls` Secret, with the CA's key beside them. */
export function secretStore(client: KubeClient, namespace: string, name: string): CertificateStore {
  const ns = encodeURIComponent(namespace);
  const secretName = encodeURIComponent(name);
  return {
    async read() {
      const secret = await client.read<V1Secret>(`/api/v1/namespaces/${ns}/secrets/${secretName}`);
      if (!secret) return {};
      const data = secret.data ?? {};
      const [caCert, caKey, cert, key] = [DATA.caCert, DATA.caKey, DATA.cert, DATA.key].map((k) =>
        unb64(data[k]),
      );
      const version = secret.metadata?.resourceVersion;
      // A Secret someone emptied or half-filled is replaced, not trusted.
      if (!caCert || !caKey || !cert || !key) return { version };
      const previousCa = unb64(data[DATA.previousCa]);
      return {
        version,
        stored: {
          ca: { cert: caCert, key: caKey },
          serving: { cert, key },
          ...(previousCa ? { previousCa } : {}),
        },
      };
    },
    async write(stored: StoredCertificates, version: string | undefined) {
      const body: V1Secret = {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/tls',
        metadata: {
          name,
          namespace,
          labels: { 'app.kubernetes.io/part-of': 'logward', 'app.kubernetes.io/component': 'webhook' },
          ...(version ? { resourceVersion: version } : {}),
        },
        data: {
          [DATA.caCert]: b64(stored.ca.cert),
          [DATA.caKey]: b64(stored.ca.key),
          [DATA.cert]: b64(stored.serving.cert),
          [DATA.key]: b64(stored.serving.key),
          ...(stored.previousCa ? { [DATA.previousCa]: b64(stored.previousCa) } : {}),
        },
      };
      try {
        if (version === undefined) await client.request('POST', `/api/v1/namespaces/${ns}/secrets`, { body });
        else await client.request('PUT', `/api/v1/namespaces/${ns}/secrets/${secretName}`, { body });
        return true;
      } catch (error) {
        // 409: another replica created or updated it first; the caller re-reads and adopts it.
        if (statusOf(error) === 409) return false;
        throw error;
      }
    },
  };
}

/** Patches caBundle into every webhook of our two configurations where it differs; names those not found. */
export function webhookConfigurationPublisher(
  client: KubeClient,
  names: { mutating: string | undefined; validating: string | undefined },
): CaBundlePublisher {
  type Configuration = V1MutatingWebhookConfiguration | V1ValidatingWebhookConfiguration;
  const patch = (body: object[]) => ({ body, contentType: 'application/json-patch+json' });
  return async (bundle) => {
    const wanted = b64(bundle);
    let patched = 0;
    const missing: string[] = [];
    const targets = [
      names.mutating && {
        name: `MutatingWebhookConfiguration ${names.mutating}`,
        read: (name = encodeURIComponent(names.mutating!)) =>
          client.read<Configuration>(
            `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${name}`,
          ),
        patch: (body: object[], name = encodeURIComponent(names.mutating!)) =>
          client.request(
            'PATCH',
            `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${name}`,
            patch(body),
          ),
      },
      names.validating && {
        name: `ValidatingWebhookConfiguration ${names.validating}`,
        read: (name = encodeURIComponent(names.validating!)) =>
          client.read<Configuration>(
            `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${name}`,
          ),
        patch: (body: object[], name = encodeURIComponent(names.validating!)) =>
          client.request(
            'PATCH',
            `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${name}`,
            patch(body),
          ),
      },
    ].filter((t) => !!t);
    for (const target of targets) {
      const config = await target.read();
      // Not created yet (an install applies it beside our Deployment): the next check patches it.
      if (!config) {
        missing.push(target.name);
        continue;
      }
      const operations = (config.webhooks ?? []).flatMap((webhook, index) =>
        webhook.clientConfig.caBundle === wanted
          ? []
          : [
              // `test` pins the index to the webhook we read, so a concurrent edit fails the patch instead of hitting another webhook.
              { op: 'test', path: `/webhooks/${index}/name`, value: webhook.name },
              { op: 'add', path: `/webhooks/${index}/clientConfig/caBundle`, value: wanted },
            ],
      );
      if (operations.length === 0) continue;
      await target.patch(operations);
      patched += operations.length / 2;
    }
    return { patched, missing };
  };
}
