import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { kustomizeBuild } from '../../deploy/render.ts';
import {
  BUILD_TIMEOUT_MS,
  buildTool,
  CHART,
  DEPLOY,
  type Manifest,
  parseManifests,
  ROOT,
  readManifests,
  runOk,
} from './tools.ts';

// Every manifest we ship decodes into its Kubernetes API type the way the API server's strict
// field validation decodes it (test/tools/kubecheck): a misspelt or misplaced field, a wrong
// type or a malformed quantity fails here rather than at `kubectl apply`. cert-manager's kinds
// are not in the API types; their shape is checked in cert-manager.test.ts.

interface Decoded {
  object: string;
  known: boolean;
  errors: string[];
}

const CERT_MANAGER_KINDS = ['Certificate', 'Issuer'];

let kubecheck: string;
const renders = new Map<string, Manifest[]>();

beforeAll(async () => {
  const [helm, kustomize, checker] = await Promise.all([
    buildTool('helm'),
    buildTool('kustomize'),
    buildTool('kubecheck'),
  ]);
  kubecheck = checker;
  renders.set('deploy/install.yaml', readManifests(join(DEPLOY, 'install.yaml')));
  renders.set('deploy/install-namespaces.yaml', readManifests(join(DEPLOY, 'install-namespaces.yaml')));
  renders.set(
    'deploy/overlays/cert-manager',
    parseManifests(kustomizeBuild(join(DEPLOY, 'overlays', 'cert-manager'), kustomize)),
  );
  const helmTemplate = async (...sets: string[]) =>
    parseManifests(
      await runOk(helm, [
        'template',
        'logward',
        CHART,
        '-n',
        'logward-system',
        ...sets.flatMap((s) => ['--set', s]),
      ]),
    );
  renders.set('helm (defaults)', await helmTemplate());
  renders.set(
    'helm (certManager, overrides)',
    await helmTemplate(
      'certificate.mode=certManager',
      'failurePolicy=Fail',
      'excludedNamespaces={legacy}',
      'defaults.sizeLimit=2Gi',
      'nodeSelector.kubernetes\\.io/os=linux',
      'tolerations[0].key=dedicated,tolerations[0].operator=Exists',
      'podAnnotations.a=b',
      'imagePullSecrets[0].name=registry',
      'priorityClassName=high',
    ),
  );
  for (const file of readdirSync(join(DEPLOY, 'examples')).filter((f) => f.endsWith('.yaml'))) {
    const path = join(DEPLOY, 'examples', file);
    renders.set(`deploy/examples/${file}`, readManifests(path));
    const injected = await runOk(process.execPath, [join(ROOT, 'cli', 'logward.ts'), 'inject', '-f', path]);
    renders.set(`deploy/examples/${file} (injected)`, parseManifests(injected));
  }
}, BUILD_TIMEOUT_MS);

async function decode(objects: Manifest[]): Promise<Decoded[]> {
  return JSON.parse(await runOk(kubecheck, ['strict-decode'], JSON.stringify(objects))) as Decoded[];
}

describe('strict decoding into the Kubernetes API types', () => {
  it('covers every render', () => {
    expect(renders.size).toBeGreaterThanOrEqual(6);
  });

  it('passes for every object we ship; only cert-manager kinds are unknown', async () => {
    for (const [source, objects] of renders) {
      const results = await decode(objects);
      expect(
        results.filter((r) => r.errors.length > 0),
        source,
      ).toEqual([]);
      const unknown = objects.filter((_, i) => !results[i]!.known).map((o) => o.kind);
      expect(
        unknown.filter((kind) => !CERT_MANAGER_KINDS.includes(kind)),
        source,
      ).toEqual([]);
    }
  });

  it('fails a misplaced field, a wrong type and a bad quantity, so the check above can fail', async () => {
    const [deployment] = readManifests(join(DEPLOY, 'examples', 'going.yaml'));
    const misplaced = structuredClone(deployment!);
    misplaced.spec.template.spec.containers[0].runAsUser = 1000; // belongs in securityContext
    const wrongType = structuredClone(deployment!);
    wrongType.spec.replicas = 'two';
    const badQuantity = structuredClone(deployment!);
    badQuantity.spec.template.spec.containers[0].resources.limits.memory = '64 megs';
    const results = await decode([misplaced, wrongType, badQuantity, deployment!]);
    expect(results.map((r) => r.errors.length > 0)).toEqual([true, true, true, false]);
    expect(results[0]!.errors.join()).toContain('runAsUser');
  });
});
