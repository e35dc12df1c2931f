import { parseArgs } from 'node:util';
import { type Logger, pino } from 'pino';
import { UsageError, wrap } from '../base/errors.ts';
import type { Command, Io } from '../base/io.ts';
import { VERSION } from '../base/version.ts';
import { parseDuration } from '../contract/duration.ts';
import {
  ALWAYS_EXCLUDED,
  clusterContext,
  DEFAULT_OWN_NAMESPACE,
  excludedNamespaces,
} from '../inject/cluster-context.ts';
import {
  defaultsHelp,
  INJECTION_FLAGS,
  injectionHelp,
  parseInjectionFlags,
} from '../inject/injection-flags.ts';
import type { SidecarImage } from '../inject/sidecar-container.ts';
import { type KubeClient, kubeClient } from '../kube/client.ts';
import { findCredentials } from '../kube/credentials.ts';
import {
  type NodeKubelet,
  readServerVersion,
  resolveSidecarMode,
  type ServerVersion,
  type SidecarModeFlag,
} from './cluster-version.ts';
import { watchNamespaces } from './kube-namespaces.ts';
import { watchNodeKubelets } from './kube-nodes.ts';
import { kubeOwnerLookup } from './kube-owner-lookup.ts';
import { createWebhookMetrics } from './metrics.ts';
import { noNamespaceLookup } from './namespace-lookup.ts';
import { noOwnerLookup } from './owner-lookup.ts';
import { REVIEWED } from './reviewed-line.ts';
import { buildServers } from './server.ts';
import { openTlsSource, type TlsOptions } from './tls/tls-source.ts';

const FLAGS = {
  ...INJECTION_FLAGS,
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-secret': { type: 'string' },
  'service-name': { type: 'string', default: 'logward-webhook' },
  'tls-extra-hosts': { type: 'string', default: '' },
  'mutating-webhook-configuration': { type: 'string', default: 'logward' },
  'validating-webhook-configuration': { type: 'string', default: 'logward' },
  'tls-check-interval': { type: 'string', default: '5m' },
  host: { type: 'string', default: '0.0.0.0' },
  port: { type: 'string', default: '8443' },
  'metrics-port': { type: 'string', default: '8080' },
  'sidecar-mode': { type: 'string', default: 'auto' },
  'excluded-namespaces': { type: 'string', default: '' },
  kubeconfig: { type: 'string' },
  'owner-lookup-timeout': { type: 'string', default: '2s' },
  'owner-cache-ttl': { type: 'string', default: '30s' },
  'log-level': { type: 'string', default: 'info' },
  'fail-closed': { type: 'boolean', default: false },
} as const;

export function webhookHelp(): string {
  return [
    'Usage: logward webhook (--tls-cert FILE --tls-key FILE | --tls-secret NAME) [flags]',
    '',
    'Serves POST /mutate (pods) and POST /validate (workloads) over HTTPS, and /healthz,',
    '/readyz and /metrics over HTTP on --metrics-port.',
    '',
    '  --tls-cert FILE                       serving certificate (PEM); reloaded when it changes',
    '  --tls-key FILE                        its private key (PEM)',
    '  --tls-secret NAME                     instead of files: run a small CA, keep it in this Secret of our own',
    '                                        namespace (shared by replicas), renew before expiry, and patch the',
    '                                        caBundle of the webhook configurations below',
    '  --service-name NAME                   Service the API server calls us through (default logward-webhook)',
    '  --tls-extra-hosts A,B                 more DNS names or IPs for the --tls-secret certificate (URL-configured webhooks)',
    '  --mutating-webhook-configuration NAME    whose caBundle --tls-secret keeps current (default logward; "" for none)',
    '  --validating-webhook-configuration NAME  likewise (default logward; "" for none)',
    '  --tls-check-interval DURATION         how often --tls-secret checks for renewal and caBundle drift (default 5m)',
    '  --host ADDRESS                        address to listen on (default 0.0.0.0)',
    '  --port N                              HTTPS port for admission reviews (default 8443)',
    '  --metrics-port N                      HTTP port for health and metrics (default 8080)',
    ...injectionHelp(),
    '  --sidecar-mode native|classic|auto    native: init container with restartPolicy Always (Kubernetes >= 1.29);',
    '                                        auto reads the server version at start (default auto)',
    `  --excluded-namespaces A,B             never mutated, besides ${ALWAYS_EXCLUDED.join(', ')} and our own`,
    '  --kubeconfig FILE                     credentials for owner lookup (default: in-cluster, $KUBECONFIG, ~/.kube/config)',
    "  --owner-lookup-timeout DURATION       time budget to read a pod's owners, and its Namespace when the",
    '                                        namespace cache does not hold it yet (default 2s)',
    "  --owner-cache-ttl DURATION            how long an owner's annotations are reused (default 30s)",
    '  --log-level LEVEL                     trace, debug, info, warn, error (default info)',
    '  --fail-closed                         deny an object when Logward fails to review it (pair with',
    '                                        failurePolicy: Fail); by default it is admitted unchanged, with a warning',
    ...defaultsHelp(),
  ].join('\n');
}

export interface WebhookOptions {
  tls: TlsOptions;
  host: string;
  port: number;
  metricsPort: number;
  image: SidecarImage;
  mode: SidecarModeFlag;
  excludedNamespaces: Set<string>;
  kubeconfig: string | undefined;
  ownerLookupTimeoutMs: number;
  ownerCacheTtlMs: number;
  logLevel: string;
  failClosed: boolean;
  defaults: Record<string, string>;
}

/** Flags to options, checking each and naming the flag on error: nothing is discovered later. */
export function parseWebhookArgs(args: string[], env: Io['env']): WebhookOptions | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args, options: FLAGS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}; see logward webhook --help`);
  }
  if (values.help) return 'help';
  const text = (name: string) => values[name] as string | undefined;
  const port = (name: string) => {
    const n = Number(text(name));
    if (!Number.isInteger(n) || n < 0 || n > 65535)
      throw new UsageError(`--${name}: ${JSON.stringify(text(name))} is not a port; use 0-65535`);
    return n;
  };
  const duration = (name: string) => {
    const ms = parseDuration(text(name) ?? '');
    if (ms === undefined || ms <= 0)
      throw new UsageError(
        `--${name}: ${JSON.stringify(text(name))} is not a duration; use e.g. 2s or 500ms`,
      );
    return ms;
  };
  const mode = text('sidecar-mode');
  if (mode !== 'native' && mode !== 'classic' && mode !== 'auto') {
    throw new UsageError(
      `--sidecar-mode: ${JSON.stringify(mode)} is not a mode; use native, classic or auto`,
    );
  }
  const logLevel = text('log-level') ?? 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel)) {
    throw new UsageError(
      `--log-level: ${JSON.stringify(logLevel)} is not a level; use trace, debug, info, warn or error`,
    );
  }

  const { image, defaults } = parseInjectionFlags(values);
  const ownNamespace = env.POD_NAMESPACE || DEFAULT_OWN_NAMESPACE;
  const tls = tlsOptions(text, ownNamespace, duration('tls-check-interval'));
  const extra = (text('excluded-namespaces') ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  return {
    tls,
    host: text('host') ?? '0.0.0.0',
    port: port('port'),
    metricsPort: port('metrics-port'),
    image,
    mode,
    excludedNamespaces: excludedNamespaces(ownNamespace, extra),
    kubeconfig: text('kubeconfig'),
    ownerLookupTimeoutMs: duration('owner-lookup-timeout'),
    ownerCacheTtlMs: duration('owner-cache-ttl'),
    logLevel,
    failClosed: values['fail-closed'] === true,
    defaults,
  };
}

function tlsOptions(
  text: (name: string) => string | undefined,
  namespace: string,
  checkIntervalMs: number,
): TlsOptions {
  const certFile = text('tls-cert');
  const keyFile = text('tls-key');
  const secret = text('tls-secret');
  if (secret && (certFile || keyFile)) {
    throw new UsageError('--tls-secret and --tls-cert/--tls-key are two ways to get a certificate; use one');
  }
  if (secret) {
    return {
      kind: 'bootstrap',
      secret,
      namespace,
      service: text('service-name') ?? 'logward-webhook',
      extraHosts: (text('tls-extra-hosts') ?? '')
        .split(',')
        .map((h) => h.trim())
        .filter(Boolean),
      mutating: text('mutating-webhook-configuration') || undefined,
      validating: text('validating-webhook-configuration') || undefined,
      checkIntervalMs,
      propagationDelayMs: 10_000,
    };
  }
  if (!certFile || !keyFile) {
    throw new UsageError(
      '--tls-cert and --tls-key (or --tls-secret) are required: the API server only calls webhooks over HTTPS',
    );
  }
  return { kind: 'files', certFile, keyFile };
}

/**
 * A client for the API server if there are credentials (see findCredentials), else undefined:
 * the webhook then runs without owner lookup, and auto means native.
 */
export async function connectToCluster(
  flag: string | undefined,
  env: Io['env'],
): Promise<KubeClient | undefined> {
  const credentials = await findCredentials(flag, env);
  return credentials && kubeClient(credentials);
}

/**
 * The webhook's JSON lines on stdout, its `reviewed` lines written a batch at a time: at a few
 * thousand reviews a second, a write per line cost 20-40 µs of a review's 190 (measured beside
 * --log-level=warn; batched, the line costs a few µs: docs/benchmarks.md). They wait until 4 KiB are
 * waiting, or for at most 200 ms; any other line writes them and itself at once, and pino
 * writes what is left when the process exits, so lines are lost only with a process killed
 * outright, and then at most 200 ms of reviews.
 */
function webhookLog(level: string): Logger {
  const stdout = pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 200 });
  return pino(
    {
      level,
      base: { component: 'webhook' },
      hooks: {
        logMethod(args, write) {
          write.apply(this, args);
          if (args.at(-1) !== REVIEWED) stdout.flush();
        },
      },
    },
    stdout,
  );
}

export const webhookCommand: Command = async (args, io) => {
  const options = parseWebhookArgs(args, io.env);
  if (options === 'help') {
    io.stdout.write(webhookHelp());
    return 0;
  }
  const log = webhookLog(options.logLevel);
  const client = await connectToCluster(options.kubeconfig, io.env);
  const tls = await openTlsSource(options.tls, client, log);

  let version: ServerVersion | undefined;
  if (client && options.mode === 'auto') {
    try {
      version = await readServerVersion(client);
    } catch (error) {
      throw wrap(
        'read the API server version for --sidecar-mode=auto (pass native or classic to skip it)',
        error,
      );
    }
  }
  // What the flag and the API server allow, before the nodes are asked.
  const initial = resolveSidecarMode(options.mode, version, []);
  if (!initial.ok) throw new UsageError(initial.message);

  // auto follows the nodes: one kubelet older than 1.29 joining makes it classic until it leaves.
  let mode = initial.mode;
  let why = initial.why;
  let stopNodes = () => {};
  if (client && options.mode === 'auto' && initial.mode === 'native') {
    const follow = (nodes: NodeKubelet[] | undefined, announce: boolean) => {
      const next = resolveSidecarMode('auto', version, nodes);
      if (!next.ok || next.mode === mode) return;
      ({ mode, why } = next);
      if (announce) log.info({ sidecarMode: mode, why }, 'sidecar mode changed');
    };
    // Until the nodes are known, classic: it never hangs a pod in Init.
    follow(undefined, false);
    let started = false;
    stopNodes = await watchNodeKubelets(client, (nodes) => follow(nodes, started), log);
    started = true;
  }

  // Namespaces' annotations are their pods' defaults: cached before the first review is served.
  const namespaces = client
    ? await watchNamespaces(client, log, { retryDelayMs: 5_000, readTimeoutMs: options.ownerLookupTimeoutMs })
    : undefined;

  const cluster = clusterContext({
    defaults: options.defaults,
    excludedNamespaces: options.excludedNamespaces,
    image: options.image,
    mode,
  });
  const metrics = createWebhookMetrics();
  const lookupOwner = client
    ? kubeOwnerLookup(client, {
        timeoutMs: options.ownerLookupTimeoutMs,
        cacheTtlMs: options.ownerCacheTtlMs,
      })
    : noOwnerLookup;
  const servers = buildServers({
    tls: tls.initial,
    logger: log,
    cluster,
    sidecarMode: () => mode,
    lookupOwner,
    lookupNamespace: namespaces?.lookup ?? noNamespaceLookup,
    metrics,
    failClosed: options.failClosed,
  });

  await servers.admission.listen({ host: options.host, port: options.port });
  await servers.ops.listen({ host: options.host, port: options.metricsPort });
  servers.ready = true;
  log.info(
    {
      version: VERSION,
      sidecarMode: mode,
      why,
      ownerLookup: client ? 'on' : 'off',
      namespaces: client ? (namespaces?.size() ?? 'not listed yet') : 'off',
      cluster: client?.describe,
      failClosed: options.failClosed,
      excludedNamespaces: [...options.excludedNamespaces],
      admission: servers.admission.addresses(),
      ops: servers.ops.addresses(),
    },
    client
      ? 'webhook started'
      : 'webhook started without cluster credentials: owner and namespace lookups are off and auto means native',
  );
  const stopWatching = tls.watch((pair) => {
    servers.setKeyPair(pair);
    log.info({ tls: options.tls.kind }, 'serving certificate reloaded');
  });

  const signal = await io.stopSignal;
  log.info({ signal }, 'shutting down: draining in-flight reviews');
  servers.ready = false;
  stopWatching();
  stopNodes();
  namespaces?.stop();
  await servers.admission.close();
  await servers.ops.close();
  client?.close();
  return 0;
};
