import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

// Shared by the deploy tests: the repository's paths, the Go-built tools, and manifests as data.

const run = promisify(execFile);

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEPLOY = join(ROOT, 'deploy');
export const CHART = join(DEPLOY, 'helm', 'logward');

/** Building helm from source takes ~10 minutes on a clean machine; later calls hit the cache. */
export const BUILD_TIMEOUT_MS = 20 * 60 * 1000;

export type ToolName = 'helm' | 'kustomize' | 'kubecheck';

/** The path of a tool built (once, then cached) by test/tools/build.sh. */
export async function buildTool(name: ToolName): Promise<string> {
  const { stdout } = await run(join(ROOT, 'test', 'tools', 'build.sh'), [name], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout.trim();
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command; a non-zero exit is a result, not an exception, so tests can assert on it. */
export async function runTool(file: string, args: string[], input?: string): Promise<ToolResult> {
  return await new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Like runTool, but the command must succeed; its stderr is in the error otherwise. */
export async function runOk(file: string, args: string[], input?: string): Promise<string> {
  const result = await runTool(file, args, input);
  if (result.code !== 0) {
    throw new Error(`${file} ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped JSON, read by path in tests
export type Manifest = Record<string, any>;

/** The objects of a multi-document YAML stream (empty documents dropped), failing on bad YAML. */
export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text).flatMap((document) => {
    if (document.errors.length > 0) throw new Error(`invalid YAML: ${document.errors[0]!.message}`);
    const object = document.toJS() as Manifest | null;
    return object ? [object] : [];
  });
}

export function readManifests(path: string): Manifest[] {
  return parseManifests(readFileSync(path, 'utf8'));
}

/** "Kind namespace/name" for every object, sorted: what a render contains, at a glance. */
export function identities(objects: Manifest[]): string[] {
  return objects
    .map((o) => `${o.kind} ${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`)
    .sort();
}

/** The one object of this kind and name; fails with what there is instead. */
export function find(objects: Manifest[], kind: string, name: string): Manifest {
  const found = objects.filter((o) => o.kind === kind && o.metadata?.name === name);
  if (found.length !== 1) {
    throw new Error(`expected one ${kind} ${name}, found ${found.length} among: ${identities(objects)}`);
  }
  return found[0]!;
}

export function ofKind(objects: Manifest[], kind: string): Manifest[] {
  return objects.filter((o) => o.kind === kind);
}

/** The webhook container of a Logward Deployment. */
export function webhookContainer(objects: Manifest[]): Manifest {
  const deployment = find(objects, 'Deployment', 'logward-webhook');
  const container = deployment.spec.template.spec.containers.find((c: Manifest) => c.name === 'webhook');
  if (!container) throw new Error('the logward-webhook Deployment has no container named webhook');
  return container;
}
