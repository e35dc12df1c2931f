import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { kustomizeBuild } from '../../deploy/render.ts';
import { parseWebhookArgs } from '../../webhook/command.ts';
import { restrictedViolations } from './pod-security.ts';
import {
  BUILD_TIMEOUT_MS,
  buildTool,
  DEPLOY,
  find,
  identities,
  type Manifest,
  ofKind,
  parseManifests,
  readManifests,
  webhookContainer,
} from './tools.ts';

// deploy/overlays/cert-manager (rendered as deploy/install-cert-manager.yaml, kept in sync by
// install.test.ts): the base with cert-manager issuing the serving certificate.

const INJECT_CA_FROM = 'cert-manager.io/inject-ca-from';

describe('deploy/overlays/cert-manager', () => {
  let objects: Manifest[];
  const base = readManifests(join(DEPLOY, 'install.yaml'));
  beforeAll(async () => {
    const kustomize = await buildTool('kustomize');
    objects = parseManifests(kustomizeBuild(join(DEPLOY, 'overlays', 'cert-manager'), kustomize));
  }, BUILD_TIMEOUT_MS);

  it('adds the issuers and certificates and drops the Secret RBAC, nothing else', () => {
    const added = identities(objects).filter((id) => !identities(base).includes(id));
    const removed = identities(base).filter((id) => !identities(objects).includes(id));
    expect(added).toEqual([
      'Certificate logward-system/logward-ca',
      'Certificate logward-system/logward-webhook-cert',
      'Issuer logward-system/logward-ca',
      'Issuer logward-system/logward-selfsigned',
    ]);
    expect(removed).toEqual([
      'Role logward-system/logward-webhook',
      'RoleBinding logward-system/logward-webhook',
    ]);
  });

  it('issues the serving certificate for the Service name from a CA of its own', () => {
    const serving = find(objects, 'Certificate', 'logward-webhook-cert');
    expect(serving.spec.secretName).toBe('logward-webhook-cert');
    expect(serving.spec.dnsNames).toContain('logward-webhook.logward-system.svc');
    expect(serving.spec.issuerRef).toMatchObject({ kind: 'Issuer', name: 'logward-ca' });
    expect(find(objects, 'Issuer', 'logward-ca').spec.ca.secretName).toBe(
      find(objects, 'Certificate', 'logward-ca').spec.secretName,
    );
    const ca = find(objects, 'Certificate', 'logward-ca');
    expect(ca.spec.isCA).toBe(true);
    expect(ca.spec.issuerRef).toMatchObject({ kind: 'Issuer', name: 'logward-selfsigned' });
    expect(find(objects, 'Issuer', 'logward-selfsigned').spec.selfSigned).toEqual({});
  });

  it('has cainjector fill both caBundles from that certificate', () => {
    const configurations = [
      ...ofKind(objects, 'MutatingWebhookConfiguration'),
      ...ofKind(objects, 'ValidatingWebhookConfiguration'),
    ];
    expect(configurations).toHaveLength(2);
    for (const configuration of configurations) {
      expect(configuration.metadata.annotations).toEqual({
        [INJECT_CA_FROM]: 'logward-system/logward-webhook-cert',
      });
      // Otherwise the same webhooks as the base.
      expect(configuration.webhooks).toEqual(find(base, configuration.kind, 'logward').webhooks);
    }
  });

  it('serves the mounted certificate files with flags the webhook accepts', () => {
    const container = webhookContainer(objects);
    expect(container.args).toEqual([
      'webhook',
      '--tls-cert=/var/run/logward/tls/tls.crt',
      '--tls-key=/var/run/logward/tls/tls.key',
    ]);
    expect(parseWebhookArgs(container.args.slice(1), { POD_NAMESPACE: 'logward-system' })).toMatchObject({
      tls: {
        kind: 'files',
        certFile: '/var/run/logward/tls/tls.crt',
        keyFile: '/var/run/logward/tls/tls.key',
      },
    });
    const pod = find(objects, 'Deployment', 'logward-webhook').spec.template.spec;
    expect(container.volumeMounts).toEqual([
      { name: 'tls', mountPath: '/var/run/logward/tls', readOnly: true },
    ]);
    expect(pod.volumes).toEqual([
      { name: 'tls', secret: { secretName: 'logward-webhook-cert', defaultMode: 0o440 } },
    ]);
    expect(restrictedViolations(pod)).toEqual([]);
  });

  it('no longer lets the webhook touch its webhook configurations', () => {
    const role = find(objects, 'ClusterRole', 'logward-webhook');
    const groups = role.rules.flatMap((rule: Manifest) => rule.apiGroups);
    expect(groups).not.toContain('admissionregistration.k8s.io');
    const baseRole = find(base, 'ClusterRole', 'logward-webhook');
    expect(role.rules).toEqual(
      baseRole.rules.filter((rule: Manifest) => !rule.apiGroups.includes('admissionregistration.k8s.io')),
    );
  });
});
