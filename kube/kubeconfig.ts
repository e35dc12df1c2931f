import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';

// A kubeconfig as far as the webhook reads it itself: the current context's server, CA and
// TLS settings, and a client certificate, a token, a token file or a user name and password.
// Other ways to authenticate or connect (an exec credential plugin, an auth-provider, a proxy,
// impersonation) are named in `needs`, and credentials.ts hands such a kubeconfig to
// @kubernetes/client-node, which knows them all.

interface Named {
  name?: unknown;
  [field: string]: unknown;
}

/** PEM given inline (`*-data`, base64) or as a file name. */
export type Pem = { data: Buffer } | { file: string };

/** What resolving a kubeconfig gives: the connection and identity of its current context. */
export interface KubeconfigContext {
  /** The context's name, for logs. */
  context: string;
  /** The context's namespace, where a command without `-n` looks (kubectl's default). */
  namespace?: string;
  server: string;
  ca?: Pem;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
  cert?: Pem;
  key?: Pem;
  token?: string;
  tokenFile?: string;
  username?: string;
  password?: string;
  /** Fields the webhook does not handle itself (`users[].user.exec`, ...): empty when it handles all. */
  needs: string[];
}

type Doc = Record<string, unknown>;

/**
 * Reads the kubeconfig files of `paths` (the `$KUBECONFIG` list, or one file) and resolves the
 * current context as kubectl does: the first file to name a cluster, user or context wins, and
 * the first `current-context` set. Relative paths in a file are relative to that file.
 */
export async function readKubeconfig(paths: readonly string[], context?: string): Promise<KubeconfigContext> {
  const docs: Doc[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      // kubectl skips files of $KUBECONFIG that do not exist; one named alone must exist.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && paths.length > 1) continue;
      throw new Error(`cannot read kubeconfig "${path}": ${(error as Error).message}`, { cause: error });
    }
    docs.push(absolutePaths(await parse(text, path), dirname(path)));
  }
  return resolveContext(docs, paths.join(':'), context);
}

/** The current context of merged kubeconfig documents; every error names the field at fault. */
export function resolveContext(docs: readonly Doc[], source: string, chosen?: string): KubeconfigContext {
  // `--context NAME` as kubectl reads it: instead of current-context.
  const current =
    chosen ?? docs.map((d) => d['current-context']).find((c) => typeof c === 'string' && c !== '');
  if (typeof current !== 'string')
    throw new Error(
      `kubeconfig ${source}: current-context is not set; choose one with kubectl config use-context NAME`,
    );
  const context = find(docs, 'contexts', 'context', current, source);
  const clusterName = text(context.cluster);
  const userName = text(context.user);
  if (!clusterName)
    throw new Error(
      `kubeconfig ${source}: context "${current}" names no cluster; set contexts[].context.cluster`,
    );
  const cluster = find(docs, 'clusters', 'cluster', clusterName, source);
  const user = userName ? find(docs, 'users', 'user', userName, source) : {};
  const server = text(cluster.server);
  if (!server)
    throw new Error(
      `kubeconfig ${source}: cluster "${clusterName}" has no server; set clusters[].cluster.server`,
    );
  const needs = [
    ...(['proxy-url'] as const).filter((f) => cluster[f] !== undefined).map((f) => `clusters[].cluster.${f}`),
    ...(['exec', 'auth-provider', 'as', 'as-uid', 'as-groups', 'as-user-extra'] as const)
      .filter((f) => user[f] !== undefined)
      .map((f) => `users[].user.${f}`),
  ];
  return {
    context: current,
    namespace: text(context.namespace),
    server,
    ca: pem(cluster['certificate-authority-data'], cluster['certificate-authority']),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    tlsServerName: text(cluster['tls-server-name']),
    cert: pem(user['client-certificate-data'], user['client-certificate']),
    key: pem(user['client-key-data'], user['client-key']),
    token: text(user.token),
    tokenFile: text(user.tokenFile),
    username: text(user.username),
    password: text(user.password),
    needs,
  };
}

async function parse(text: string, path: string): Promise<Doc> {
  let doc: unknown;
  try {
    // Tools that write kubeconfigs for machines often write JSON, which needs no YAML parser.
    doc = JSON.parse(text);
  } catch {
    try {
      doc = (await import('yaml')).parse(text);
    } catch (error) {
      throw new Error(`kubeconfig "${path}" is neither JSON nor YAML: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new Error(`kubeconfig "${path}" is not a mapping of clusters, users and contexts`);
  return doc as Doc;
}

/** The entry of `list` named `name`, from the first document that has it: its `field` object. */
function find(docs: readonly Doc[], list: string, field: string, name: string, source: string): Doc {
  for (const doc of docs) {
    const entries = doc[list];
    if (!Array.isArray(entries)) continue;
    const entry = (entries as Named[]).find((e) => e?.name === name);
    if (entry) {
      const value = entry[field];
      return value !== null && typeof value === 'object' ? (value as Doc) : {};
    }
  }
  throw new Error(`kubeconfig ${source}: ${list} has no entry named "${name}"`);
}

const FILE_FIELDS = {
  clusters: { field: 'cluster', keys: ['certificate-authority'] },
  users: { field: 'user', keys: ['client-certificate', 'client-key', 'tokenFile'] },
} as const;

/** The file names in `doc` made absolute against `dir`, as kubectl reads them. */
function absolutePaths(doc: Doc, dir: string): Doc {
  const out: Doc = { ...doc };
  for (const [list, { field, keys }] of Object.entries(FILE_FIELDS)) {
    if (!Array.isArray(doc[list])) continue;
    out[list] = (doc[list] as Named[]).map((entry) => {
      const value = entry?.[field];
      if (value === null || typeof value !== 'object') return entry;
      const fixed: Doc = { ...(value as Doc) };
      for (const key of keys) {
        const path = fixed[key];
        if (typeof path === 'string' && path !== '' && !isAbsolute(path)) fixed[key] = resolve(dir, path);
      }
      return { ...entry, [field]: fixed };
    });
  }
  return out;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Inline base64 data wins over a file, as in kubectl. */
function pem(data: unknown, file: unknown): Pem | undefined {
  if (typeof data === 'string' && data !== '') return { data: Buffer.from(data, 'base64') };
  if (typeof file === 'string' && file !== '') return { file };
  return undefined;
}

/** The bytes of `pem`, reading its file now (a few small files, once at start). */
export function pemBytes(pem: Pem): Buffer;
export function pemBytes(pem: Pem | undefined): Buffer | undefined;
export function pemBytes(pem: Pem | undefined): Buffer | undefined {
  if (pem === undefined || 'data' in pem) return pem?.data;
  try {
    return readFileSync(pem.file);
  } catch (error) {
    throw new Error(`cannot read "${pem.file}" named in the kubeconfig: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
