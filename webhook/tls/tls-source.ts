import type { FastifyBaseLogger } from 'fastify';
import type { KubeClient } from '../../kube/client.ts';
import { type KeyPair, loadKeyPair, watchKeyPair } from './tls-files.ts';

const MISSING_RETRY_MS = 5_000;

export type TlsOptions =
  | { kind: 'files'; certFile: string; keyFile: string }
  | {
      kind: 'bootstrap';
      secret: string;
      namespace: string;
      service: string;
      /** Extra names or IP addresses for the certificate, for webhooks configured by URL. */
      extraHosts: string[];
      mutating: string | undefined;
      validating: string | undefined;
      checkIntervalMs: number;
      /** After the CA changes: time for the API server to see the new caBundle before we serve a leaf it signed. */
      propagationDelayMs: number;
    };

export interface TlsSource {
  initial: KeyPair;
  /** Starts watching for a new pair; returns what undoes it. */
  watch(onChange: (pair: KeyPair) => void): () => void;
}

/** The serving certificate, from files (cert-manager, by hand) or from our own CA in a Secret. */
export async function openTlsSource(
  options: TlsOptions,
  client: KubeClient | undefined,
  log: FastifyBaseLogger,
): Promise<TlsSource> {
  if (options.kind === 'files') {
    const initial = await loadKeyPair(options.certFile, options.keyFile);
    return {
      initial,
      watch: (onChange) =>
        watchKeyPair(options.certFile, options.keyFile, initial, onChange, (error) =>
          log.warn({ err: error }, 'serving certificate not reloaded; keeping the current one'),
        ),
    };
  }
  if (!client) throw new Error('--tls-secret needs cluster credentials to keep the certificates in a Secret');
  // Loaded only here: a webhook serving certificate files needs none of this.
  const [{ secretStore, webhookConfigurationPublisher }, { serviceDnsNames }, { ensureCertificates }] =
    await Promise.all([import('./kube-tls.ts'), import('./certificates.ts'), import('./tls-bootstrap.ts')]);
  const store = secretStore(client, options.namespace, options.secret);
  const publish = webhookConfigurationPublisher(client, {
    mutating: options.mutating,
    validating: options.validating,
  });
  const dnsNames = [...serviceDnsNames(options.service, options.namespace), ...options.extraHosts];
  let missing: string[] = [];
  const round = async () => {
    const result = await ensureCertificates(store, publish, dnsNames, Date.now);
    if (result.change || result.patchedWebhooks > 0) {
      log.info(
        {
          secret: `${options.namespace}/${options.secret}`,
          change: result.change,
          patchedWebhooks: result.patchedWebhooks,
        },
        'webhook certificates ensured',
      );
    }
    const nowMissing = result.missingConfigurations;
    if (nowMissing.length > 0 && nowMissing.join() !== missing.join()) {
      log.warn(
        { missing: nowMissing },
        'webhook configurations not found; their caBundle is set once they exist',
      );
    }
    missing = nowMissing;
    return result.stored;
  };
  let current = await round();
  return {
    initial: current.serving,
    watch(onChange) {
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      const tick = async () => {
        try {
          const next = await round();
          if (next.serving.cert !== current.serving.cert) {
            if (next.ca.cert !== current.ca.cert)
              await new Promise((resolve) => setTimeout(resolve, options.propagationDelayMs));
            current = next;
            if (!stopped) onChange(next.serving);
          }
        } catch (error) {
          log.warn({ err: error }, 'could not check the webhook certificates; will retry');
        }
        // A configuration that is not there yet is looked for again soon, not in minutes.
        if (!stopped)
          timer = setTimeout(tick, missing.length > 0 ? MISSING_RETRY_MS : options.checkIntervalMs).unref();
      };
      timer = setTimeout(tick, missing.length > 0 ? MISSING_RETRY_MS : options.checkIntervalMs).unref();
      return () => {
        stopped = true;
        clearTimeout(timer);
      };
    },
  };
}
