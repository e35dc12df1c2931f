import { parseArgs } from 'node:util';
import { InputError, UsageError } from '../base/errors.ts';
import type { Command } from '../base/io.ts';
import { clusterContext, DEFAULT_OWN_NAMESPACE, excludedNamespaces } from '../inject/cluster-context.ts';
import { defaultInjection } from '../inject/injection-flags.ts';
import { kubeClient } from '../kube/client.ts';
import { findCredentials } from '../kube/credentials.ts';
import { Forbidden, grantHints } from './forbidden.ts';
import { gather, readWebhookFlags } from './gather.ts';
import { renderJson, renderTable } from './render.ts';
import { statusRows } from './rows.ts';

const FLAGS = {
  namespace: { type: 'string', short: 'n' },
  'all-namespaces': { type: 'boolean', short: 'A', default: false },
  context: { type: 'string' },
  kubeconfig: { type: 'string' },
  output: { type: 'string', short: 'o' },
  'webhook-namespace': { type: 'string', default: DEFAULT_OWN_NAMESPACE },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export function statusHelp(): string {
  return [
    'Usage: logward status [-n NAMESPACE | -A] [--context NAME] [-o json]',
    '',
    'Lists the opted-in workloads and pods of a namespace (or all): whether each pod has the',
    "sidecar and, if not, why; its log directory's usage against the budget and the size limit; and",
    "when its sidecar last rotated a file, read from the sidecar's metrics through the API server's",
    'pod proxy. RBAC: the ClusterRole logward-status, bound in each namespace shown and in the',
    "webhook's (a ClusterRoleBinding for -A).",
    '',
    "  -n, --namespace NAME    the namespace (default: the context's, else default)",
    '  -A, --all-namespaces    every namespace',
    '  --context NAME          the kubeconfig context to use',
    '  --kubeconfig FILE       the kubeconfig (default: $KUBECONFIG, ~/.kube/config, in-cluster)',
    '  -o, --output json       JSON for scripts instead of the table',
    `  --webhook-namespace NS  where the webhook's Deployment runs, whose --default-* flags the reasons use (default ${DEFAULT_OWN_NAMESPACE})`,
    '',
  ].join('\n');
}

/** `logward status`: a kubectl-style view of what Logward does in a namespace. */
export const statusCommand: Command = async (args, io) => {
  let values: ReturnType<typeof parse>;
  try {
    values = parse(args);
  } catch (error) {
    throw new UsageError(`${(error as Error).message}; see logward status --help`);
  }
  if (values.help) {
    io.stdout.write(statusHelp());
    return 0;
  }
  if (values.output !== undefined && values.output !== 'json') {
    throw new UsageError(
      `--output: ${JSON.stringify(values.output)} is not a format; use json, or leave it out for the table`,
    );
  }
  if (values['all-namespaces'] && values.namespace !== undefined) {
    throw new UsageError('-n and -A exclude each other: name one namespace, or ask for all');
  }
  const credentials = await findCredentials(values.kubeconfig, io.env, undefined, values.context);
  if (!credentials) {
    throw new InputError(
      'no Kubernetes credentials: pass --kubeconfig FILE, set $KUBECONFIG, or create ~/.kube/config',
    );
  }
  const namespace = values['all-namespaces']
    ? undefined
    : (values.namespace ?? credentials.namespace ?? 'default');
  const client = kubeClient(credentials, { component: 'status' });
  try {
    const { image } = defaultInjection();
    // A pod left alone is judged with the cluster's --default-* flags, read from the webhook's
    // Deployment; without them (not readable), by the annotations alone.
    const webhookNamespace = values['webhook-namespace'] ?? DEFAULT_OWN_NAMESPACE;
    const flags = await readWebhookFlags(client, webhookNamespace);
    const cluster = clusterContext({
      defaults: flags.flags?.defaults ?? {},
      image,
      mode: flags.flags?.mode ?? 'native',
      excludedNamespaces: excludedNamespaces(webhookNamespace, flags.flags?.excludedNamespaces),
    });
    // The webhook's Deployment is read first: its refusal, if any, is said first.
    const deniedFirst = flags.denied ? [flags.denied] : [];
    let gathered: Awaited<ReturnType<typeof gather>>;
    try {
      gathered = await gather(client, namespace, cluster);
    } catch (error) {
      if (!(error instanceof Forbidden)) throw error;
      const hints = grantHints([...deniedFirst, ...error.denied]);
      throw new InputError([error.message, ...hints].join('\n'), { cause: error });
    }
    const { input, notes, denied } = gathered;
    const hints = grantHints([...deniedFirst, ...denied]);
    for (const line of [...(flags.note ? [flags.note] : []), ...notes, ...hints])
      io.stderr.write(`${line}\n`);
    const status = statusRows(input);
    io.stdout.write(
      values.output === 'json'
        ? renderJson(status)
        : renderTable(status, { allNamespaces: namespace === undefined, now: Date.now() }),
    );
    return 0;
  } finally {
    client.close();
  }
};

function parse(args: string[]) {
  return parseArgs({ args, options: FLAGS, strict: true, allowPositionals: false }).values;
}
