import { KubeApiError } from '../kube/client.ts';

// What `logward status` says when RBAC refuses it a read: what it may not read and where, then
// the one command that grants it, with the ClusterRole deploy/ and the chart ship for it
// (logward-status) and the subject the API server named. A RoleBinding grants in its own
// namespace only, so the command names the namespace that was refused; -A needs a
// ClusterRoleBinding.

export const STATUS_ROLE = 'logward-status';

/** A read the API server refused (403 Forbidden). */
export interface Denied {
  /** Where it was refused; undefined: cluster-wide (-A). */
  namespace: string | undefined;
  /** Who asked, as the API server named them (`system:serviceaccount:tools:reader`); undefined if it did not. */
  user: string | undefined;
}

/** A read `logward status` cannot do without (the pods) that RBAC refused: the command fails, saying what grants it. */
export class Forbidden extends Error {
  override name = 'Forbidden';
  readonly denied: Denied[];
  constructor(message: string, denied: Denied[], cause: unknown) {
    super(message, { cause });
    this.denied = denied;
  }
}

/** The refusal in `error`, when it is the API server's 403 Forbidden; undefined for any other failure. */
export function deniedBy(error: unknown, namespace: string | undefined): Denied | undefined {
  // A 403 without the API server's reason is a pod's own answer through the proxy, not RBAC.
  if (!(error instanceof KubeApiError) || error.status !== 403 || error.reason !== 'Forbidden')
    return undefined;
  const user = /\bUser "([^"]*)"/.exec(error.message)?.[1];
  return { namespace, user };
}

/** `in namespace shop`, or `in all namespaces` for -A. */
export function where(namespace: string | undefined): string {
  return namespace === undefined ? 'in all namespaces' : `in namespace ${namespace}`;
}

/** The lines that say how to grant what was refused: one per namespace (and subject), in order. */
export function grantHints(denials: readonly Denied[]): string[] {
  const hints = new Set<string>();
  for (const { namespace, user } of denials) {
    if (user === 'system:anonymous') {
      hints.add(
        'the API server took the requests as anonymous (system:anonymous): the kubeconfig sent no credentials it accepts',
      );
      continue;
    }
    hints.add(
      `to grant what logward status reads, bind the ClusterRole ${STATUS_ROLE}: ${grantCommand(namespace, user)}`,
    );
  }
  return [...hints];
}

/** `kubectl -n shop create rolebinding ...`, or a clusterrolebinding for -A. */
export function grantCommand(namespace: string | undefined, user: string | undefined): string {
  const create =
    namespace === undefined
      ? `kubectl create clusterrolebinding ${STATUS_ROLE}`
      : `kubectl -n ${namespace} create rolebinding ${STATUS_ROLE}`;
  return `${create} --clusterrole=${STATUS_ROLE} ${subjectFlag(user)}`;
}

/** The user as `kubectl create rolebinding` takes it; a placeholder when the API server did not say. */
function subjectFlag(user: string | undefined): string {
  const serviceAccount = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(user ?? '');
  if (serviceAccount) return `--serviceaccount=${serviceAccount[1]}:${serviceAccount[2]}`;
  if (user === undefined) return '--user=USER';
  // Names from client certificates or an identity provider may hold what a shell would split.
  return /^[\w@.:=+/-]+$/.test(user) ? `--user=${user}` : `--user='${user.replaceAll("'", "'\\''")}'`;
}
