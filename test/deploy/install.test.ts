import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RENDERED, render } from '../../deploy/render.ts';
import { parseWebhookArgs } from '../../webhook/command.ts';
import { restrictedViolations } from './pod-security.ts';
import {
  BUILD_TIMEOUT_MS,
  buildTool,
  DEPLOY,
  find,
  type Manifest,
  ofKind,
  parseManifests,
  webhookContainer,
} from './tools.ts';

// deploy/install.yaml: in sync with deploy/base, and the properties a cluster admin relies on.

const INSTALL = join(DEPLOY, 'install.yaml');
const EXCLUDED = ['kube-system', 'kube-node-lease', 'kube-public', 'logward-system'];
const LABELS = {
  'app.kubernetes.io/name': 'logward',
  'app.kubernetes.io/part-of': 'logward',
};

const text = readFileSync(INSTALL, 'utf8');
const objects = parseManifests(text);
const webhookConfigurations = [
  ...ofKind(objects, 'MutatingWebhookConfiguration'),
  ...ofKind(objects, 'ValidatingWebhookConfiguration'),
];
const webhooks: Manifest[] = webhookConfigurations.flatMap((c) => c.webhooks);
const roles = [...ofKind(objects, 'ClusterRole'), ...ofKind(objects, 'Role')];

describe('deploy/install.yaml', () => {
  let kustomize: string;
  beforeAll(async () => {
    kustomize = await buildTool('kustomize');
  }, BUILD_TIMEOUT_MS);

  it.each(RENDERED.map((target) => [target.file.slice(DEPLOY.length + 1), target] as const))(
    '%s is what `node deploy/render.ts` renders now',
    (_, target) => {
      // On failure: run `node deploy/render.ts` and commit the result.
      expect(readFileSync(target.file, 'utf8')).toBe(render(target, kustomize));
    },
  );

  it('holds every object of the contract, in logward-system where namespaced', () => {
    expect(objects.map((o) => `${o.kind} ${o.metadata.namespace ?? '-'} ${o.metadata.name}`).sort()).toEqual(
      [
        'ClusterRole - logward-sidecar-events',
        'ClusterRole - logward-status',
        'ClusterRole - logward-webhook',
        'ClusterRoleBinding - logward-webhook',
        'Deployment logward-system logward-webhook',
        'MutatingWebhookConfiguration - logward',
        'Namespace - logward-system',
        'NetworkPolicy logward-system logward-webhook',
        'PodDisruptionBudget logward-system logward-webhook',
        'Role logward-system logward-webhook',
        'RoleBinding logward-system logward-webhook',
        'Service logward-system logward-webhook',
        'ServiceAccount logward-system logward-webhook',
        'ValidatingWebhookConfiguration - logward',
      ].sort(),
    );
    for (const object of objects) expect(object.metadata.labels, object.kind).toMatchObject(LABELS);
  });
});

describe('the webhook configurations', () => {
  it('have two webhooks each, named as the contract says, calling our Service', () => {
    const mutating = find(objects, 'MutatingWebhookConfiguration', 'logward');
    const validating = find(objects, 'ValidatingWebhookConfiguration', 'logward');
    expect(mutating.webhooks.map((w: Manifest) => w.name)).toEqual([
      'pods.logward.io',
      'enabled-pods.logward.io',
    ]);
    expect(validating.webhooks.map((w: Manifest) => w.name)).toEqual([
      'workloads.logward.io',
      'namespaces.logward.io',
    ]);
    const service = { namespace: 'logward-system', name: 'logward-webhook', port: 443 };
    for (const hook of mutating.webhooks) {
      expect(hook.clientConfig).toEqual({ service: { ...service, path: '/mutate' } });
    }
    for (const hook of validating.webhooks) {
      expect(hook.clientConfig).toEqual({ service: { ...service, path: '/validate' } });
    }
  });

  it("send a namespace's pods to exactly one of the two pod webhooks, by its logward.io/enabled label", () => {
    const [pods, enabled] = find(objects, 'MutatingWebhookConfiguration', 'logward').webhooks;
    const label = (w: Manifest) =>
      w.namespaceSelector.matchExpressions.find((e: Manifest) => e.key === 'logward.io/enabled');
    expect(label(pods)).toEqual({ key: 'logward.io/enabled', operator: 'NotIn', values: ['true'] });
    expect(label(enabled)).toEqual({ key: 'logward.io/enabled', operator: 'In', values: ['true'] });
    expect(enabled.rules).toEqual(pods.rules);
    // Every pod of a labelled namespace, bare ones too: no may-opt-in condition.
    expect(enabled.matchConditions.map((c: Manifest) => c.name)).toEqual(['not-opted-out', 'not-injected']);
  });

  it('mutate pods on CREATE only, and validate the six workload kinds on CREATE and UPDATE', () => {
    const [pods] = find(objects, 'MutatingWebhookConfiguration', 'logward').webhooks;
    expect(pods.rules).toEqual([
      {
        apiGroups: [''],
        apiVersions: ['v1'],
        operations: ['CREATE'],
        resources: ['pods'],
        scope: 'Namespaced',
      },
    ]);
    const [workloads] = find(objects, 'ValidatingWebhookConfiguration', 'logward').webhooks;
    const covered = workloads.rules.flatMap((rule: Manifest) => {
      expect(rule.operations).toEqual(['CREATE', 'UPDATE']);
      expect(rule.apiVersions).toEqual(['v1']);
      expect(rule.scope).toBe('Namespaced');
      return rule.apiGroups.flatMap((group: string) => rule.resources.map((r: string) => `${group}/${r}`));
    });
    expect(covered.sort()).toEqual(
      [
        'apps/daemonsets',
        'apps/deployments',
        'apps/replicasets',
        'apps/statefulsets',
        'batch/cronjobs',
        'batch/jobs',
      ].sort(),
    );
  });

  it.each(webhooks.map((w) => [w.name, w]))(
    '%s: v1 reviews, no side effects, short timeout, Ignore',
    (_, w) => {
      expect(w.admissionReviewVersions).toEqual(['v1']);
      expect(w.sideEffects).toBe('None');
      expect(w.timeoutSeconds).toBeGreaterThan(0);
      expect(w.timeoutSeconds).toBeLessThanOrEqual(10);
      expect(w.failurePolicy).toBe('Ignore');
      // The built-in TLS writes it; a stale one in the manifest would be re-applied over it.
      expect(w.clientConfig.caBundle).toBeUndefined();
    },
  );

  it('reinvoke the pod webhook if a later webhook changes the pod', () => {
    const [pods] = find(objects, 'MutatingWebhookConfiguration', 'logward').webhooks;
    expect(pods.reinvocationPolicy).toBe('IfNeeded');
  });

  it.each(webhooks.map((w) => [w.name, w]))('%s: never sees the control plane, us, or our pods', (_, w) => {
    expect(w.namespaceSelector.matchLabels).toBeUndefined();
    expect(w.namespaceSelector.matchExpressions[0]).toEqual({
      key: 'kubernetes.io/metadata.name',
      operator: 'NotIn',
      values: EXCLUDED,
    });
    expect(w.objectSelector).toEqual({
      matchExpressions: [{ key: 'app.kubernetes.io/part-of', operator: 'NotIn', values: ['logward'] }],
    });
    // The objectSelector above only excludes our pods if they carry the label.
    const template = find(objects, 'Deployment', 'logward-webhook').spec.template;
    expect(template.metadata.labels['app.kubernetes.io/part-of']).toBe('logward');
  });

  it('have matchConditions (their behaviour is in match-conditions.test.ts)', () => {
    for (const w of webhooks) expect(w.matchConditions.length).toBeGreaterThan(0);
  });
});

describe('RBAC', () => {
  const rules = roles.flatMap((role) =>
    role.rules.map((rule: Manifest) => ({ role: `${role.kind} ${role.metadata.name}`, ...rule })),
  );

  it('grants no wildcard verbs, resources or apiGroups, and no nonResourceURLs', () => {
    for (const rule of rules) {
      for (const field of ['verbs', 'resources', 'apiGroups', 'resourceNames']) {
        expect(rule[field] ?? [], `${rule.role} ${field}`).not.toContain('*');
      }
      expect(rule.nonResourceURLs, rule.role).toBeUndefined();
      expect(rule.verbs, rule.role).not.toEqual(expect.arrayContaining(['escalate', 'bind', 'impersonate']));
    }
  });

  it('grants secrets only in a namespaced Role, reads and writes limited to the TLS Secret', () => {
    const secretRules = rules.filter((r) => r.resources.includes('secrets'));
    expect(secretRules.length).toBeGreaterThan(0);
    for (const rule of secretRules) {
      expect(rule.role).toBe('Role logward-webhook');
      expect(rule.verbs).not.toContain('list');
      expect(rule.verbs).not.toContain('watch');
      expect(rule.verbs).not.toContain('delete');
      // create cannot be limited by name; everything else must be.
      if (!(rule.verbs.length === 1 && rule.verbs[0] === 'create')) {
        expect(rule.resourceNames).toEqual(['logward-webhook-tls']);
      }
    }
    expect(find(objects, 'Role', 'logward-webhook').metadata.namespace).toBe('logward-system');
  });

  it('lets the webhook change only its own webhook configurations', () => {
    const rule = rules.filter((r) => r.apiGroups.includes('admissionregistration.k8s.io'));
    expect(rule).toEqual([
      {
        role: 'ClusterRole logward-webhook',
        apiGroups: ['admissionregistration.k8s.io'],
        resources: ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'],
        resourceNames: ['logward'],
        verbs: ['get', 'patch'],
      },
    ]);
  });

  it('lets the webhook read owners one by one, never list them', () => {
    const role = find(objects, 'ClusterRole', 'logward-webhook');
    const owners = role.rules.filter((r: Manifest) => ['apps', 'batch'].includes(r.apiGroups[0]));
    expect(owners).toEqual([
      {
        apiGroups: ['apps'],
        resources: ['replicasets', 'deployments', 'statefulsets', 'daemonsets'],
        verbs: ['get'],
      },
      { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: ['get'] },
    ]);
  });

  it('binds both roles to the webhook ServiceAccount, and the sidecar role to nobody', () => {
    const subject = [{ kind: 'ServiceAccount', name: 'logward-webhook', namespace: 'logward-system' }];
    const clusterBinding = find(objects, 'ClusterRoleBinding', 'logward-webhook');
    expect(clusterBinding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'logward-webhook',
    });
    expect(clusterBinding.subjects).toEqual(subject);
    const binding = find(objects, 'RoleBinding', 'logward-webhook');
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'logward-webhook',
    });
    expect(binding.subjects).toEqual(subject);
    expect(find(objects, 'ClusterRole', 'logward-sidecar-events').rules).toEqual([
      { apiGroups: [''], resources: ['events'], verbs: ['create'] },
    ]);
    const bound = [...ofKind(objects, 'ClusterRoleBinding'), ...ofKind(objects, 'RoleBinding')];
    expect(bound.map((b) => b.roleRef.name)).not.toContain('logward-sidecar-events');
  });

  it('ship logward-status for `logward status`, bound to no one and aggregated into no role', () => {
    const bound = [...ofKind(objects, 'ClusterRoleBinding'), ...ofKind(objects, 'RoleBinding')];
    expect(bound.map((b) => b.roleRef.name)).not.toContain('logward-status');
    // pods/proxy reaches into pods: an admin grants it, it does not come with view or edit.
    const role = find(objects, 'ClusterRole', 'logward-status');
    expect(Object.keys(role.metadata.labels).filter((key) => key.includes('aggregate'))).toEqual([]);
    expect(role.aggregationRule).toBeUndefined();
    // The only write-like reach: get on the pods' proxy, nothing on Secrets, no verb but get and list.
    const verbs = new Set(role.rules.flatMap((rule: Manifest) => rule.verbs));
    expect([...verbs].sort()).toEqual(['get', 'list']);
    expect(role.rules.flatMap((rule: Manifest) => rule.resources)).not.toContain('secrets');
  });
});

describe('the webhook Deployment', () => {
  const deployment = find(objects, 'Deployment', 'logward-webhook');
  const pod = deployment.spec.template.spec;
  const container = webhookContainer(objects);

  it('passes Pod Security "restricted", and its namespace enforces it', () => {
    expect(restrictedViolations(pod)).toEqual([]);
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 65532,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const namespace = find(objects, 'Namespace', 'logward-system');
    expect(namespace.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('runs 2 replicas spread across nodes, one kept up by a PodDisruptionBudget', () => {
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    const [term] = pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution;
    expect(term.podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
    expect(term.podAffinityTerm.labelSelector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    const pdb = find(objects, 'PodDisruptionBudget', 'logward-webhook');
    expect(pdb.spec.minAvailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(pod.terminationGracePeriodSeconds).toBe(30);
  });

  it('probes /readyz and /healthz over HTTP on the metrics port, and sets resources', () => {
    expect(container.ports).toEqual([
      { name: 'https', containerPort: 8443, protocol: 'TCP' },
      { name: 'metrics', containerPort: 8080, protocol: 'TCP' },
    ]);
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(container.resources.requests).toMatchObject({
      cpu: expect.any(String),
      memory: expect.any(String),
    });
    expect(container.resources.limits.memory).toEqual(expect.any(String));
  });

  it('runs the built-in TLS with flags the webhook accepts, knowing its namespace', () => {
    expect(container.image).toBe('ghcr.io/logward/logward-webhook:0.1.0');
    expect(container.args).toEqual([
      'webhook',
      '--tls-secret=logward-webhook-tls',
      '--service-name=logward-webhook',
      '--mutating-webhook-configuration=logward',
      '--validating-webhook-configuration=logward',
    ]);
    const options = parseWebhookArgs(container.args.slice(1), { POD_NAMESPACE: 'logward-system' });
    expect(options).toMatchObject({
      tls: { kind: 'bootstrap', secret: 'logward-webhook-tls', namespace: 'logward-system' },
      port: 8443,
      metricsPort: 8080,
    });
    expect(container.env).toContainEqual({
      name: 'POD_NAMESPACE',
      valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } },
    });
    expect(pod.serviceAccountName).toBe('logward-webhook');
    const mount = container.volumeMounts.find((m: Manifest) => m.mountPath === '/var/run/logward/tls');
    expect(pod.volumes.find((v: Manifest) => v.name === mount.name).emptyDir).toBeDefined();
  });

  it('opens only its two ports: admission reviews from any address (the API server), metrics from pods', () => {
    const policy = find(objects, 'NetworkPolicy', 'logward-webhook');
    expect(policy.spec.podSelector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    expect(policy.spec.ingress).toEqual([
      {
        ports: [{ port: 'https', protocol: 'TCP' }],
        from: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }],
      },
      { ports: [{ port: 'metrics', protocol: 'TCP' }], from: [{ namespaceSelector: {} }] },
    ]);
    // The ports it names are the container's, and they are all the container has.
    expect(container.ports.map((p: Manifest) => p.name).sort()).toEqual(['https', 'metrics']);
  });

  it('is reached through a Service on 443 (admission) and 8080 (metrics)', () => {
    const service = find(objects, 'Service', 'logward-webhook');
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(service.spec.ports).toEqual([
      { name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' },
      { name: 'metrics', port: 8080, targetPort: 'metrics', protocol: 'TCP' },
    ]);
  });
});
