import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { RequestOptions } from 'node:https';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { wrap } from '../base/errors.ts';
import type { Io } from '../base/io.ts';
import { type KubeconfigContext, pemBytes, readKubeconfig } from './kubeconfig.ts';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Where the API server is and who we are to it. */
export interface KubeCredentials {
  /** `https://host:port`, perhaps with a path prefix (a proxy's), without a trailing slash. */
  server: string;
  /** Where they were found, for the start-up log: `in-cluster`, `kubeconfig FILE (context NAME)`. */
  source: string;
  /** The kubeconfig context's namespace, if it names one. */
  namespace?: string;
  /** Adds the CA, client certificate and Authorization header to one request's options. */
  apply(options: RequestOptions): Promise<void>;
  /** After a 401: forget a cached token, so the next `apply` reads a fresh one. */
  refresh(): void;
}

/** Bound service account tokens are rotated by the kubelet; client-go re-reads them each minute. */
const TOKEN_REREAD_MS = 60_000;

/**
 * Credentials if there are any, in kubectl's order but in-cluster first: --kubeconfig, the pod's
 * service account, $KUBECONFIG, ~/.kube/config. A kubeconfig that authenticates by a way the
 * webhook does not read itself (exec plugin, auth-provider, proxy, impersonation) is handed to
 * @kubernetes/client-node, loaded only then.
 */
export async function findCredentials(
  flag: string | undefined,
  env: Io['env'],
  serviceAccountDir = SERVICE_ACCOUNT_DIR,
  /** A context of the kubeconfig to use instead of its current-context (`--context`). */
  chosenContext?: string,
): Promise<KubeCredentials | undefined> {
  const inCluster =
    !flag && !chosenContext && env.KUBERNETES_SERVICE_HOST && existsSync(join(serviceAccountDir, 'token'));
  if (inCluster) return inClusterCredentials(env, serviceAccountDir);
  const home = join(env.HOME || homedir(), '.kube', 'config');
  const paths = flag
    ? [flag]
    : env.KUBECONFIG
      ? env.KUBECONFIG.split(delimiter).filter(Boolean)
      : existsSync(home)
        ? [home]
        : [];
  if (paths.length === 0) return undefined;
  const source = `kubeconfig ${paths.join(delimiter)}`;
  let context: KubeconfigContext;
  try {
    context = await readKubeconfig(paths, chosenContext);
  } catch (error) {
    throw wrap(`load Kubernetes credentials from ${source}`, error);
  }
  if (context.needs.length > 0) return clientNodeCredentials(paths, context, source);
  return kubeconfigCredentials(context, `${source} (context ${context.context})`);
}

function inClusterCredentials(env: Io['env'], dir: string): KubeCredentials {
  const host = env.KUBERNETES_SERVICE_HOST!;
  const port = env.KUBERNETES_SERVICE_PORT || '443';
  const ca = pemBytes({ file: join(dir, 'ca.crt') });
  const token = rereadToken(join(dir, 'token'));
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    source: `in-cluster (service account in ${dir})`,
    async apply(options) {
      options.ca = ca;
      options.headers = { ...options.headers, authorization: `Bearer ${await token.read()}` };
    },
    refresh: token.forget,
  };
}

function kubeconfigCredentials(context: KubeconfigContext, source: string): KubeCredentials {
  if (!context.server.startsWith('https://'))
    throw new Error(
      `${source}: server ${JSON.stringify(context.server)} is not https; the webhook talks to the API server over TLS only`,
    );
  const ca = pemBytes(context.ca);
  const cert = pemBytes(context.cert);
  const key = pemBytes(context.key);
  const tokenFile = context.tokenFile ? rereadToken(context.tokenFile) : undefined;
  return {
    server: context.server.replace(/\/+$/, ''),
    source,
    namespace: context.namespace,
    async apply(options) {
      if (ca) options.ca = ca;
      if (cert) options.cert = cert;
      if (key) options.key = key;
      if (context.insecureSkipTlsVerify) options.rejectUnauthorized = false;
      if (context.tlsServerName) options.servername = context.tlsServerName;
      const token = context.token ?? (await tokenFile?.read());
      if (token) options.headers = { ...options.headers, authorization: `Bearer ${token}` };
      else if (context.username !== undefined) options.auth = `${context.username}:${context.password ?? ''}`;
    },
    refresh: () => tokenFile?.forget(),
  };
}

/**
 * The kubeconfig as @kubernetes/client-node reads it. Its API client is never loaded for this,
 * but its KubeConfig module brings the whole generated client along: about a second and 80 MiB,
 * paid only by a webhook run outside the cluster with such a kubeconfig.
 */
async function clientNodeCredentials(
  paths: readonly string[],
  context: KubeconfigContext,
  source: string,
): Promise<KubeCredentials> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  try {
    if (paths.length === 1) kc.loadFromFile(paths[0]!);
    else kc.loadFromDefault();
    kc.setCurrentContext(context.context);
  } catch (error) {
    throw wrap(`load Kubernetes credentials from ${source}`, error);
  }
  const server = kc.getCurrentCluster()?.server ?? context.server;
  return {
    server: server.replace(/\/+$/, ''),
    namespace: context.namespace,
    source: `${source} (context ${context.context}, through @kubernetes/client-node for ${context.needs.join(', ')})`,
    apply: (options) => kc.applyToHTTPSOptions(options),
    // client-node renews exec and auth-provider credentials itself when they expire.
    refresh: () => {},
  };
}

function rereadToken(path: string): { read(): Promise<string>; forget(): void } {
  let cached: { token: string; at: number } | undefined;
  return {
    async read() {
      if (cached && Date.now() - cached.at < TOKEN_REREAD_MS) return cached.token;
      let token: string;
      try {
        token = (await readFile(path, 'utf8')).trim();
      } catch (error) {
        throw wrap(`read the service account token "${path}"`, error);
      }
      cached = { token, at: Date.now() };
      return token;
    },
    forget() {
      cached = undefined;
    },
  };
}
