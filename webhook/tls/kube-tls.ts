import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Secret,
} from '@kubernetes/client-node';
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
  return (error as { code?: number }).code;
}

/** The certificates in a `kubernetes.io/tls` Secret, with the CA's key beside them. */
export function secretStore(kubeConfig: KubeConfig, namespace: string, name: string): CertificateStore {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return {
    async read() {
      let secret: V1Secret;
      try {
        secret = await core.readNamespacedSecret({ name, namespace });
      } catch (error) {
        if (statusOf(error) === 404) return {};
        throw error;
      }
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
        if (version === undefined) await core.createNamespacedSecret({ namespace, body });
        else await core.replaceNamespacedSecret({ name, namespace, body });
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
  kubeConfig: KubeConfig,
  names: { mutating: string | undefined; validating: string | undefined },
): CaBundlePublisher {
  const api = kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  return async (bundle) => {
    const wanted = b64(bundle);
    let patched = 0;
    const missing: string[] = [];
    const targets = [
      names.mutating && {
        name: `MutatingWebhookConfiguration ${names.mutating}`,
        read: () => api.readMutatingWebhookConfiguration({ name: names.mutating! }),
        patch: (body: object[]) => api.patchMutatingWebhookConfiguration({ name: names.mutating!, body }),
      },
      names.validating && {
        name: `ValidatingWebhookConfiguration ${names.validating}`,
        read: () => api.readValidatingWebhookConfiguration({ name: names.validating! }),
        patch: (body: object[]) => api.patchValidatingWebhookConfiguration({ name: names.validating!, body }),
      },
    ].filter((t) => !!t);
    for (const target of targets) {
      let config: Awaited<ReturnType<typeof target.read>>;
      try {
        config = await target.read();
      } catch (error) {
        // Not created yet (an install applies it beside our Deployment): the next check patches it.
        if (statusOf(error) === 404) {
          missing.push(target.name);
          continue;
        }
        throw error;
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
