import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { parseArgs } from 'node:util';
import fastJsonPatch from 'fast-json-patch';
import { parseAllDocuments } from 'yaml';
import { InputError, UsageError, wrap } from '../base/errors.ts';
import type { Command } from '../base/io.ts';
import { PREFIX } from '../contract/keys.ts';
import { clusterContext } from './cluster-context.ts';
import { type InjectOutcome, injectObject } from './inject-object.ts';
import { defaultsHelp, INJECTION_FLAGS, injectionHelp, parseInjectionFlags } from './injection-flags.ts';
import { namespaceDocuments } from './namespace-documents.ts';
import type { KubeObject } from './workloads.ts';
import { applySplices, KUBERNETES_YAML, type Splice, SpliceError, splicesFor } from './yaml-splice.ts';

const FLAGS = {
  ...INJECTION_FLAGS,
  filename: { type: 'string', short: 'f' },
  namespace: { type: 'string', short: 'n' },
  'namespace-file': { type: 'string', multiple: true },
  'sidecar-mode': { type: 'string', default: 'native' },
} as const;

export function injectHelp(): string {
  return [
    'Usage: logward inject -f FILE|- [flags]',
    '',
    'Reads Kubernetes manifests (multi-document YAML), adds the log volume and the sidecar to every',
    'opted-in Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job and CronJob exactly as the',
    'webhook would, and writes the result to stdout. Other documents pass through unchanged.',
    'Settings come from the object, then its Namespace, then the --default-* flags.',
    'Exit codes: 0 done, 1 an object has an invalid annotation (named on stderr), 2 usage error.',
    '',
    '  -f, --filename FILE|-                 manifest file, or - for stdin',
    '  -n, --namespace NAME                  the namespace of objects that name none',
    `  --namespace-file FILE                 Namespaces (kubectl get namespace -o yaml) whose ${PREFIX}`,
    '                                        annotations are defaults for their objects, as Namespace',
    '                                        documents in the manifests are (repeatable)',
    '  --sidecar-mode native|classic         native sidecar (Kubernetes >= 1.29) or a classic container (default native)',
    ...injectionHelp(),
    ...defaultsHelp(),
  ].join('\n');
}

/** `logward inject`: the webhook's mutation as a manifest filter, for GitOps pipelines. */
export const injectCommand: Command = async (args, io) => {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    values = parseArgs({ args, options: FLAGS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}; see logward inject --help`);
  }
  if (values.help) {
    io.stdout.write(injectHelp());
    return 0;
  }
  const file = values.filename;
  if (typeof file !== 'string') throw new UsageError('-f FILE is required (use -f - to read stdin)');
  const mode = values['sidecar-mode'];
  if (mode !== 'native' && mode !== 'classic') {
    throw new UsageError(`--sidecar-mode: ${JSON.stringify(mode)} is not a mode; use native or classic`);
  }
  const namespace = values.namespace;
  if (namespace !== undefined && (typeof namespace !== 'string' || !NAMESPACE_NAME.test(namespace))) {
    throw new UsageError(`--namespace: ${JSON.stringify(namespace)} is not a namespace name; use e.g. shop`);
  }
  const { image, defaults } = parseInjectionFlags(values as Record<string, string | boolean | undefined>);
  const cluster = clusterContext({ defaults, image, mode });

  const source = await readText(file, io);
  // Read as Kubernetes reads it (YAML 1.1), and written back as it was but for our insertions.
  const documentList = parseDocuments(file, source);
  const objects = documentList.map((document) => document.toJS() as KubeObject | null);
  const namespaceFiles = (values['namespace-file'] as string[] | undefined) ?? [];
  const given = [];
  for (const path of namespaceFiles) {
    given.push(...parseDocuments(path, await readText(path, io)).map((document) => document.toJS()));
  }
  // The manifests' own Namespaces after the files': they are what is about to be applied.
  const placed = namespaceDocuments([...given, ...objects], defaults);
  const placement = { namespace, namespaces: placed.namespaces };
  const splices: Splice[] = [];
  const invalid: string[] = [...placed.invalid];
  for (const [index, document] of documentList.entries()) {
    const object = objects[index];
    const outcome: InjectOutcome =
      object && typeof object === 'object' ? injectObject(object, cluster, placement) : { kind: 'unchanged' };
    if (outcome.kind === 'invalid') invalid.push(outcome.message);
    else if (outcome.kind === 'unchanged') {
      if (outcome.note) io.stderr.write(`${outcome.note}\n`);
    } else {
      for (const line of [...outcome.notes, ...outcome.warnings]) io.stderr.write(`${line}\n`);
      try {
        splices.push(...splicesFor(source, document, fastJsonPatch.compare(object!, outcome.object)));
      } catch (error) {
        if (!(error instanceof SpliceError)) throw error;
        invalid.push(`${file}: document ${index + 1}: ${error.message}`);
      }
    }
  }
  if (invalid.length > 0) throw new InputError(invalid.join('\n'));
  io.stdout.write(applySplices(source, splices));
  return 0;
};

const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

async function readText(file: string, io: Parameters<Command>[1]): Promise<string> {
  try {
    return file === '-' ? await text(io.stdin) : await readFile(file, 'utf8');
  } catch (error) {
    throw wrap(`read "${file}"`, error);
  }
}

function parseDocuments(file: string, source: string) {
  const documents = parseAllDocuments(source, KUBERNETES_YAML);
  const list = Array.isArray(documents) ? documents : [];
  for (const [index, document] of list.entries()) {
    if (document.errors.length > 0) {
      throw new InputError(
        `${file}: document ${index + 1} is not valid YAML: ${document.errors[0]!.message}`,
      );
    }
  }
  return list;
}
