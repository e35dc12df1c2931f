import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { kustomizeBuild } from '../../deploy/render.ts';
import { parseWebhookArgs } from '../../webhook/command.ts';
import { restrictedViolations } from './pod-security.ts';
import {
  BUILD_TIMEOUT_MS,
  buildTool,
  CHART,
  DEPLOY,
  find,
  identities,
  type Manifest,
  ofKind,
  parseManifests,
  readManifests,
  runOk,
  runTool,
  webhookContainer,
} from './tools.ts';

// deploy/helm/logward: its default render is deploy/install.yaml in substance, and each value
// lands where it should.

const NAMESPACE = 'logward-system';
const OUR_LABELS = ['app.kubernetes.io/name', 'app.kubernetes.io/component', 'app.kubernetes.io/part-of'];

let helm: string;
let kustomize: string;
beforeAll(async () => {
  [helm, kustomize] = await Promise.all([buildTool('helm'), buildTool('kustomize')]);
}, BUILD_TIMEOUT_MS);

async function template(...values: string[]): Promise<Manifest[]> {
  const args = ['template', 'logward', CHART, '--namespace', NAMESPACE];
  for (const value of values) args.push('--set', value);
  return parseManifests(await runOk(helm, args));
}

/** An object as a comparison should see it: Helm's bookkeeping labels dropped. */
function substance(object: Manifest): Manifest {
  const copy = structuredClone(object);
  const keepOurs = (metadata: Manifest | undefined) => {
    if (!metadata?.labels) return;
    metadata.labels = Object.fromEntries(
      Object.entries(metadata.labels).filter(([key]) => OUR_LABELS.includes(key)),
    );
  };
  keepOurs(copy.metadata);
  keepOurs(copy.spec?.template?.metadata);
  return copy;
}

/** Every object of `expected` (but its Namespace) in `actual` with the same substance. */
function expectSameSubstance(actual: Manifest[], expected: Manifest[]) {
  const wanted = expected.filter((o) => o.kind !== 'Namespace');
  expect(identities(actual)).toEqual(identities(wanted));
  for (const object of wanted) {
    expect(substance(find(actual, object.kind, object.metadata.name)), `${object.kind}`).toEqual(
      substance(object),
    );
  }
}

describe('helm template with default values', () => {
  const install = readManifests(join(DEPLOY, 'install.yaml'));
  let objects: Manifest[];
  beforeAll(async () => {
    objects = await template();
  });

  it('renders deploy/install.yaml in substance (all but the Namespace, which Helm creates)', () => {
    expectSameSubstance(objects, install);
  });

  it('spells out the parts that matter most, in case both drift together', () => {
    expect(webhookContainer(objects).args).toEqual(webhookContainer(install).args);
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
      expect(find(objects, kind, 'logward').webhooks).toEqual(find(install, kind, 'logward').webhooks);
    }
    for (const [kind, name] of [
      ['ClusterRole', 'logward-webhook'],
      ['ClusterRole', 'logward-sidecar-events'],
      ['ClusterRole', 'logward-status'],
      ['Role', 'logward-webhook'],
    ] as const) {
      expect(find(objects, kind, name).rules).toEqual(find(install, kind, name).rules);
    }
  });

  it('labels every object as ours, with Helm labels besides', () => {
    for (const object of objects) {
      expect(object.metadata.labels).toMatchObject({
        'app.kubernetes.io/name': 'logward',
        'app.kubernetes.io/part-of': 'logward',
        'app.kubernetes.io/managed-by': 'Helm',
      });
    }
  });
});

describe('helm template with certificate.mode=certManager', () => {
  it('renders the cert-manager overlay in substance', async () => {
    const overlay = parseManifests(kustomizeBuild(join(DEPLOY, 'overlays', 'cert-manager'), kustomize));
    expectSameSubstance(await template('certificate.mode=certManager'), overlay);
  });

  it('signs with an existing issuer instead of its own CA when given one', async () => {
    const objects = await template(
      'certificate.mode=certManager',
      'certificate.certManager.issuerRef.name=corp-ca',
      'certificate.certManager.issuerRef.kind=ClusterIssuer',
    );
    expect(identities(ofKind(objects, 'Issuer'))).toEqual([]);
    expect(identities(ofKind(objects, 'Certificate'))).toEqual([
      `Certificate ${NAMESPACE}/logward-webhook-cert`,
    ]);
    expect(find(objects, 'Certificate', 'logward-webhook-cert').spec.issuerRef).toEqual({
      group: 'cert-manager.io',
      kind: 'ClusterIssuer',
      name: 'corp-ca',
    });
  });
});

describe('helm template with overridden values', () => {
  let objects: Manifest[];
  let args: string[];
  beforeAll(async () => {
    objects = await template(
      'failurePolicy=Fail',
      'certificate.mode=certManager',
      'excludedNamespaces={legacy,batch-jobs}',
      'defaults.sizeLimit=2Gi',
      'defaults.maxAge=3d',
      'defaults.schedule=*/5 * * * *',
      'sidecar.image=registry.example.com/logward-sidecar:0.1.0',
      'sidecar.pullPolicy=Always',
      'sidecar.resources.limits.memory=256Mi',
      'replicas=3',
      'image.tag=0.2.0',
      'logLevel=debug',
      'networkPolicy.apiServerCidrs={10.0.0.0/24}',
      'sidecar.mode=classic',
    );
    args = webhookContainer(objects).args;
  });

  const webhooks = () => [
    ...find(objects, 'MutatingWebhookConfiguration', 'logward').webhooks,
    ...find(objects, 'ValidatingWebhookConfiguration', 'logward').webhooks,
  ];

  it('sets failurePolicy on every webhook, and fails closed inside the webhook to match', () => {
    expect(webhooks().map((w: Manifest) => w.failurePolicy)).toEqual(['Fail', 'Fail', 'Fail', 'Fail']);
    expect(args).toContain('--fail-closed');
    const options = parseWebhookArgs(args.slice(1), { POD_NAMESPACE: NAMESPACE });
    expect(options !== 'help' && options.failClosed).toBe(true);
  });

  it('admits admission reviews from the given CIDRs only', () => {
    const policy = find(objects, 'NetworkPolicy', 'logward-webhook');
    expect(policy.spec.ingress[0].from).toEqual([{ ipBlock: { cidr: '10.0.0.0/24' } }]);
  });

  it('reads no nodes unless the sidecar mode is auto', () => {
    const rules = find(objects, 'ClusterRole', 'logward-webhook').rules;
    expect(rules.filter((r: Manifest) => r.resources.includes('nodes'))).toEqual([]);
  });

  it('excludes the extra namespaces in both selectors and in the webhook itself', () => {
    for (const w of webhooks()) {
      expect(w.namespaceSelector.matchExpressions[0].values).toEqual([
        'kube-system',
        'kube-node-lease',
        'kube-public',
        NAMESPACE,
        'legacy',
        'batch-jobs',
      ]);
    }
    expect(args).toContain('--excluded-namespaces=legacy,batch-jobs');
  });

  it('passes the defaults, sidecar settings and log level as flags the webhook accepts', () => {
    expect(args).toEqual(
      expect.arrayContaining([
        '--default-size-limit=2Gi',
        '--default-max-age=3d',
        '--default-schedule=*/5 * * * *',
        '--default-sidecar-memory-limit=256Mi',
        '--sidecar-image=registry.example.com/logward-sidecar:0.1.0',
        '--sidecar-pull-policy=Always',
        '--log-level=debug',
      ]),
    );
    const options = parseWebhookArgs(args.slice(1), { POD_NAMESPACE: NAMESPACE });
    if (options === 'help') throw new Error('parsed as --help');
    expect(options.defaults).toEqual({
      'logward.io/size-limit': '2Gi',
      'logward.io/max-age': '3d',
      'logward.io/schedule': '*/5 * * * *',
      'logward.io/sidecar-memory-limit': '256Mi',
    });
    expect(options.image).toEqual({
      image: 'registry.example.com/logward-sidecar:0.1.0',
      pullPolicy: 'Always',
    });
    expect([...options.excludedNamespaces]).toEqual(
      expect.arrayContaining(['legacy', 'batch-jobs', NAMESPACE]),
    );
  });

  it('switches TLS to cert-manager: files, inject-ca-from, no Secret RBAC', () => {
    expect(args).toContain('--tls-cert=/var/run/logward/tls/tls.crt');
    expect(args.some((a) => a.startsWith('--tls-secret'))).toBe(false);
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
      expect(find(objects, kind, 'logward').metadata.annotations).toEqual({
        'cert-manager.io/inject-ca-from': `${NAMESPACE}/logward-webhook-cert`,
      });
    }
    expect(ofKind(objects, 'Role')).toEqual([]);
    expect(find(objects, 'Certificate', 'logward-webhook-cert').spec.dnsNames).toContain(
      `logward-webhook.${NAMESPACE}.svc`,
    );
  });

  it('sets replicas and image, and stays restricted', () => {
    const deployment = find(objects, 'Deployment', 'logward-webhook');
    expect(deployment.spec.replicas).toBe(3);
    expect(webhookContainer(objects).image).toBe('ghcr.io/logward/logward-webhook:0.2.0');
    expect(restrictedViolations(deployment.spec.template.spec)).toEqual([]);
  });
});

describe('helm template with scope=namespaces', () => {
  it('renders deploy/install-namespaces.yaml in substance', async () => {
    expectSameSubstance(
      await template('scope=namespaces'),
      readManifests(join(DEPLOY, 'install-namespaces.yaml')),
    );
  });

  it('sends the webhook pods and workloads of labelled namespaces only', async () => {
    const objects = await template('scope=namespaces');
    const hooks = [
      ...find(objects, 'MutatingWebhookConfiguration', 'logward').webhooks,
      ...find(objects, 'ValidatingWebhookConfiguration', 'logward').webhooks,
    ];
    const enabled = { key: 'logward.io/enabled', operator: 'In', values: ['true'] };
    expect(
      hooks.map((w: Manifest) => [
        w.name,
        w.namespaceSelector.matchExpressions.some(
          (e: Manifest) => e.operator === 'In' && e.key === enabled.key,
        ),
      ]),
    ).toEqual([
      ['enabled-pods.logward.io', true],
      ['workloads.logward.io', true],
      // A Namespace is checked wherever it is: its labels are what would opt it in.
      ['namespaces.logward.io', false],
    ]);
  });
});

describe('helm template with networkPolicy.enabled=false', () => {
  it('renders no NetworkPolicy, for clusters whose CNI has none', async () => {
    expect(ofKind(await template('networkPolicy.enabled=false'), 'NetworkPolicy')).toEqual([]);
  });
});

describe('helm template with statusRole.enabled=false', () => {
  it('renders no ClusterRole logward-status, and every other object still', async () => {
    const [off, on] = await Promise.all([template('statusRole.enabled=false'), template()]);
    expect(identities(on)).toContain('ClusterRole logward-status');
    expect(identities(off)).toEqual(identities(on).filter((id) => id !== 'ClusterRole logward-status'));
  });
});

describe('the chart', () => {
  it('passes helm lint --strict, with default and with overridden values', async () => {
    await runOk(helm, ['lint', '--strict', CHART]);
    await runOk(helm, [
      'lint',
      '--strict',
      CHART,
      '--set',
      'certificate.mode=certManager,failurePolicy=Fail',
    ]);
  });

  it.each([
    ['certificate.mode=selfSigned', '/certificate/mode'],
    ['failurePolicy=Never', '/failurePolicy'],
    ['defaults.sizeLimt=2Gi', 'sizeLimt'],
  ])('rejects %s before anything reaches the cluster', async (value, problem) => {
    const result = await runTool(helm, ['template', 'logward', CHART, '--set', value]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(problem);
  });
});
